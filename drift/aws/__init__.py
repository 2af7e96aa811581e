"""AWS semantics as pure functions over plain documents (boto3 response shapes)."""
