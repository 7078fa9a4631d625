//! Every upstream the configuration names (filled in by the extraction step).
