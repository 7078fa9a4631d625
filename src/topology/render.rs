//! Text and JSON views of a topology (being written).
