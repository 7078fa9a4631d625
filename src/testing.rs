//! Assertions the unit tests of every module share.

/// Asserts that `text` holds `part`, showing both when it does not.
#[track_caller]
pub(crate) fn assert_contains(text: &str, part: &str) {
    assert!(text.contains(part), "`{part}` is not in:\n{text}");
}

/// A source map holding one file, `path` with `text`, and that file's id.
pub(crate) fn one_file(
    path: &str,
    text: impl Into<Vec<u8>>,
) -> (crate::source::SourceMap, crate::source::FileId) {
    let mut sources = crate::source::SourceMap::new();
    let file = sources.add(crate::source::SourceFile::new(path, text));
    (sources, file)
}
