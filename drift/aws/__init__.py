"""AWS semantics as pure functions over plain JSON: IAM documents (`documents`), policy
statements (`policy`), conditions (`conditions`), evaluation (`iam`) and trust (`trust`).

No SDK here: the collectors read AWS; this package only says what the documents mean.
"""
