"""The HTTP API: Amazon Connect's operations (rest-json, SigV4), so boto3 works unchanged."""
