"""Analysis: historical metrics over logs and exports, and Erlang B, C and A for staffing."""
