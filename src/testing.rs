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

/// Calls `check(byte, place, run)` for every byte of `bytes` at every place
/// of a 19-byte run of `fill`: two eight-byte words and a tail, for code
/// that reads eight bytes at a time.
pub(crate) fn each_byte_everywhere(
    bytes: std::ops::RangeInclusive<u8>,
    fill: u8,
    mut check: impl FnMut(u8, usize, &[u8]),
) {
    for b in bytes {
        for at in 0..19 {
            let mut run = vec![fill; 19];
            run[at] = b;
            check(b, at, &run);
        }
    }
}
