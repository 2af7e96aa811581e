"""What an operator applies (deploy/): image, Kubernetes manifests, IAM policy, dashboard."""
