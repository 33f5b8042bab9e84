//! Integration tests: fixtures through parse_inbound and the policy.
