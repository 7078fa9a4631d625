//! Assertions the unit tests of every module share.

/// Asserts that `text` holds `part`, showing both when it does not.
#[track_caller]
pub(crate) fn assert_contains(text: &str, part: &str) {
    assert!(text.contains(part), "`{part}` is not in:\n{text}");
}
