//! Integration tests for ashiato_opensocial (filled in below).
