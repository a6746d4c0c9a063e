"""Floor 2: who signs (the credential chain botocore will pick, read from the shared files
without botocore) and the AWS files reader. Imports core only."""
