//! Many strings handed to JS in one crossing. Each wasm → JS string costs a `TextDecoder.decode`
//! call with a large fixed price; a chunk's events are instead concatenated into one string, and
//! JS cuts it apart with `substring` using the UTF-16 lengths recorded here.

/// What a batch keeps between chunks; more is released after a huge event.
const KEEP_CAPACITY: usize = 256 * 1024;

/// Fields longer than this cross on their own instead: copying a multi-megabyte event into the
/// batch would double its peak memory, and its decode cost dwarfs the per-call price anyway.
pub const MAX_BATCHED_FIELD: usize = 64 * 1024;

/// Concatenated text plus, per record, its fields' UTF-16 lengths followed by any extra numbers.
#[derive(Debug, Default)]
pub struct Batch {
    text: String,
    meta: Vec<u32>,
}

impl Batch {
    pub fn new() -> Batch {
        Batch::default()
    }

    /// Appends a field: its text, and its length in UTF-16 code units into `meta`.
    pub fn field(&mut self, s: &str) {
        self.text.push_str(s);
        self.meta.push(utf16_len(s));
    }

    /// Appends a plain number to `meta` (a flag or count JS reads in place).
    pub fn number(&mut self, n: u32) {
        self.meta.push(n);
    }

    /// The numbers recorded so far (to adjust the last one in place).
    pub fn meta_mut(&mut self) -> &mut [u32] {
        &mut self.meta
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn meta(&self) -> &[u32] {
        &self.meta
    }

    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }

    /// Empties the batch, keeping its buffers for the next chunk (unless one huge event grew them).
    pub fn clear(&mut self) {
        self.text.clear();
        self.text.shrink_to(KEEP_CAPACITY);
        self.meta.clear();
    }
}

/// Length of `s` in UTF-16 code units (what JS `substring` counts): one per UTF-8 sequence,
/// two for 4-byte sequences (astral characters become surrogate pairs).
pub fn utf16_len(s: &str) -> u32 {
    s.bytes().map(|b| u32::from(b & 0xC0 != 0x80) + u32::from(b >= 0xF0)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_len_matches_std() {
        for s in ["", "abc", "你好", "扣子 🚀", "é\u{10FFFF}\u{7FF}\u{800}\u{FFFF}\u{10000}", "a\nb\r\n\"{}\""] {
            assert_eq!(utf16_len(s) as usize, s.encode_utf16().count(), "{s}");
        }
    }

    #[test]
    fn fields_concatenate_and_lengths_cut_them_apart() {
        let mut b = Batch::new();
        b.field("conversation.message.delta");
        b.field("{\"content\":\"你好🚀\"}");
        b.number(1);
        b.field("");
        assert_eq!(b.text(), "conversation.message.delta{\"content\":\"你好🚀\"}");
        assert_eq!(b.meta(), [26, 18, 1, 0]);
        // Cutting by the lengths, as JS does with substring, gives the fields back.
        let units: Vec<u16> = b.text().encode_utf16().collect();
        let second = String::from_utf16(&units[26..26 + 18]).unwrap();
        assert_eq!(second, "{\"content\":\"你好🚀\"}");
        b.clear();
        assert!(b.is_empty() && b.text().is_empty());
    }
}
