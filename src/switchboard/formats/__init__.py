"""Amazon Connect's JSON: agent event stream and contact record encoders and decoders."""
