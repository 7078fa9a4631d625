//! Source files and positions: every input file (nginx config, compose file,
//! manifest) is held in memory as bytes, and every finding points into one of
//! them by a byte range that turns into line and column on demand.

use serde::Serialize;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct FileId(pub u32);

/// A byte range `start..end` inside one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Span {
    /// The file the range belongs to.
    pub file: FileId,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span covering `start..end` of `file`.
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The byte range as a `Range<usize>`.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The smallest span covering both (same file assumed).
    pub fn to(&self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A 1-based line and 1-based column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Position {
    /// Line number, starting at 1.
    pub line: u32,
    /// Column number in characters, starting at 1.
    pub column: u32,
}

/// One input file: its path as the user named it and its raw bytes.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path as given (relative or absolute); used in every message.
    pub path: String,
    /// Raw content. Not necessarily UTF-8.
    pub bytes: Vec<u8>,
    line_starts: Vec<u32>,
    /// Characters before each [`CHAR_BLOCK`]-byte block, built on the first
    /// position asked for, so a column costs at most one block's scan
    /// whatever the length of its line.
    char_index: std::sync::OnceLock<Vec<u32>>,
    /// The YAML documents with a `# Source: TEMPLATE` comment (what `helm
    /// template` writes above each one): (start, end, template), built on
    /// the first question.
    rendered: std::sync::OnceLock<Vec<(u32, u32, String)>>,
}

/// Bytes per block of the character index.
const CHAR_BLOCK: usize = 256;

impl SourceFile {
    /// Wraps a file's content and indexes its lines.
    pub fn new(path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> SourceFile {
        let bytes = bytes.into();
        // About one line per 30 bytes in typical configurations.
        let mut line_starts = Vec::with_capacity(bytes.len() / 32 + 1);
        line_starts.push(0u32);
        line_starts.extend(memchr::memchr_iter(b'\n', &bytes).map(|i| i as u32 + 1));
        SourceFile {
            path: path.into(),
            bytes,
            line_starts,
            char_index: std::sync::OnceLock::new(),
            rendered: std::sync::OnceLock::new(),
        }
    }

    /// The template a rendered YAML document at `offset` came from: the
    /// `# Source: …` comment `helm template` writes at the top of each
    /// document. One pass over the lines the first time, then a binary
    /// search.
    pub fn rendered_from(&self, offset: u32) -> Option<&str> {
        let docs = self.rendered.get_or_init(|| {
            let mut out: Vec<(u32, u32, String)> = Vec::new();
            let mut start = 0u32;
            let mut source: Option<String> = None;
            let n = self.line_starts.len();
            for (i, &ls) in self.line_starts.iter().enumerate() {
                let le = if i + 1 < n {
                    self.line_starts[i + 1] as usize
                } else {
                    self.bytes.len()
                };
                let line = &self.bytes[ls as usize..le];
                let line = line.strip_suffix(b"\n").unwrap_or(line);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line == b"---" || line.starts_with(b"--- ") {
                    if let Some(s) = source.take() {
                        out.push((start, ls, s));
                    }
                    start = ls;
                } else if let Some(rest) = line.strip_prefix(b"# Source: ") {
                    source = Some(String::from_utf8_lossy(rest).trim().to_string());
                }
            }
            if let Some(s) = source {
                out.push((start, self.bytes.len() as u32, s));
            }
            out
        });
        let i = docs.partition_point(|d| d.1 <= offset);
        docs.get(i).filter(|d| d.0 <= offset).map(|d| d.2.as_str())
    }

    /// The 1-based line of a byte offset: a binary search of the line
    /// index, without the column's character count.
    pub fn line_of(&self, offset: usize) -> u32 {
        let offset = offset.min(self.bytes.len());
        let line = match self.line_starts.binary_search(&(offset as u32)) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        line as u32 + 1
    }

    /// The 1-based line of a byte offset, walking the line index forward
    /// from line `from` (at or before it; else a binary search): for
    /// callers that visit offsets in order, linear in the lines passed.
    pub fn line_after(&self, offset: usize, from: u32) -> u32 {
        let at = offset.min(self.bytes.len()) as u32;
        let mut i = from.max(1) as usize - 1;
        if self.line_starts.get(i).is_none_or(|&s| s > at) {
            return self.line_of(offset);
        }
        while self.line_starts.get(i + 1).is_some_and(|&s| s <= at) {
            i += 1;
        }
        i as u32 + 1
    }

    /// Line and column of a byte offset. Columns count UTF-8 characters;
    /// each byte of an invalid sequence counts as one character.
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.bytes.len());
        let line = match self.line_starts.binary_search(&(offset as u32)) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line] as usize;
        let column = self.chars_before(offset) - self.chars_before(start) + 1;
        Position {
            line: line as u32 + 1,
            column: column as u32,
        }
    }

    /// Characters in `bytes[..offset]`, in constant time: the index gives
    /// the count up to the enclosing block, and the rest of the block is
    /// scanned.
    pub fn chars_before(&self, offset: usize) -> usize {
        let index = self.char_index.get_or_init(|| {
            let mut total = 0u32;
            let mut out = Vec::with_capacity(self.bytes.len() / CHAR_BLOCK + 1);
            for block in self.bytes.chunks(CHAR_BLOCK) {
                out.push(total);
                total += count_chars(block) as u32;
            }
            out.push(total);
            out
        });
        let block = offset / CHAR_BLOCK;
        index[block] as usize + count_chars(&self.bytes[block * CHAR_BLOCK..offset])
    }

    /// The text of 1-based line `line`, without its line ending, decoded lossily.
    pub fn line_text(&self, line: u32) -> String {
        let i = (line.max(1) - 1) as usize;
        let Some(&start) = self.line_starts.get(i) else {
            return String::new();
        };
        let end = self
            .line_starts
            .get(i + 1)
            .map(|e| *e as usize)
            .unwrap_or(self.bytes.len());
        let mut text = &self.bytes[start as usize..end];
        while let [rest @ .., b'\n' | b'\r'] = text {
            text = rest;
        }
        String::from_utf8_lossy(text).into_owned()
    }

    /// The whole content as text (lossy for invalid UTF-8).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.bytes)
    }

    /// Number of lines (a trailing newline does not start a new line).
    pub fn line_count(&self) -> usize {
        if self.bytes.ends_with(b"\n") {
            self.line_starts.len() - 1
        } else {
            self.line_starts.len()
        }
    }
}

fn count_chars(bytes: &[u8]) -> usize {
    // Count every byte that is not a UTF-8 continuation byte; an invalid
    // lone continuation byte is rare and then counts as part of its neighbour.
    bytes.iter().filter(|b| (**b & 0xC0) != 0x80).count()
}

/// All files of one request, addressed by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }

    /// The file with this id.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// Finds a file by its exact path.
    pub fn find(&self, path: &str) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.path == path)
            .map(|i| FileId(i as u32))
    }

    /// Every file with its id.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when there are no files.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Start position of a span.
    pub fn start(&self, span: Span) -> Position {
        self.get(span.file).position(span.start as usize)
    }

    /// Start line of a span (cheaper than [`SourceMap::start`]).
    pub fn line(&self, span: Span) -> u32 {
        self.get(span.file).line_of(span.start as usize)
    }

    /// End position of a span (the position just after its last byte).
    pub fn end(&self, span: Span) -> Position {
        self.get(span.file).position(span.end as usize)
    }

    /// The bytes a span covers, decoded lossily.
    pub fn snippet(&self, span: Span) -> String {
        String::from_utf8_lossy(&self.get(span.file).bytes[span.range()]).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walking_the_line_index_forward_agrees_with_the_binary_search() {
        let f = SourceFile::new("a", "one\ntwo\n\nfour\nfive");
        let mut from = 1;
        for offset in 0..=f.bytes.len() + 2 {
            let line = f.line_after(offset, from);
            assert_eq!(line, f.line_of(offset), "{offset}");
            from = line;
        }
        // A hint past the offset falls back to the search.
        assert_eq!(f.line_after(1, 5), 1);
    }

    #[test]
    fn a_rendered_document_names_its_template() {
        let text = "---\n# Source: chart/templates/svc.yaml\nkind: Service\n---\nkind: Pod\n---\n# Source: chart/templates/dep.yaml\nkind: Deployment\n";
        let f = SourceFile::new("-", text);
        let at = |needle: &str| f.rendered_from(text.find(needle).unwrap() as u32);
        assert_eq!(at("kind: Service"), Some("chart/templates/svc.yaml"));
        assert_eq!(at("kind: Pod"), None);
        assert_eq!(at("kind: Deployment"), Some("chart/templates/dep.yaml"));
        assert_eq!(SourceFile::new("x", "kind: Pod\n").rendered_from(0), None);
    }

    #[test]
    fn positions_count_lines_and_characters() {
        let f = SourceFile::new("a.conf", "ab\nцd e\n");
        assert_eq!(f.position(0), Position { line: 1, column: 1 });
        assert_eq!(f.position(3), Position { line: 2, column: 1 });
        // 'ц' is two bytes; 'd' is the second character of line 2.
        assert_eq!(f.position(5), Position { line: 2, column: 2 });
        assert_eq!(f.line_text(2), "цd e");
        assert_eq!(f.line_count(), 2);
    }

    #[test]
    fn columns_on_long_lines_agree_with_a_scan_of_the_line() {
        // Multi-byte characters across block boundaries, on one long line.
        let text: String = (0..3000)
            .map(|i| if i % 7 == 0 { 'é' } else { '}' })
            .collect();
        let f = SourceFile::new("long.conf", format!("x\n{text}\n"));
        for offset in (2..f.bytes.len()).step_by(97) {
            if (f.bytes[offset] & 0xC0) == 0x80 {
                continue;
            }
            let scanned = count_chars(&f.bytes[2..offset]) + 1;
            assert_eq!(f.position(offset).column as usize, scanned, "{offset}");
            assert_eq!(f.position(offset).line, 2);
        }
    }
}
