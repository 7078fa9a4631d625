//! The HTTP service end to end (placeholder while it is written).
