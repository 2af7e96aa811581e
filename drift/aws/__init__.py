"""AWS semantics as pure functions over plain JSON: IAM documents (`documents`), policy
statements (`policy`), conditions (`conditions`), evaluation (`iam`) and trust (`trust`);
network reachability and exposure (`network`, `public_access`, `function_urls`); privilege
escalation (`escalation`); the model's AWS part (`graph`).

No SDK here: the collectors read AWS; this package only says what the documents mean.
"""
