//! One table the filters use to find repeated items (lines, paragraphs, words, n-grams) in a
//! document: open addressing over 64-bit hashes, confirmed by the caller's exact comparison,
//! so a hash collision never merges two different items. Its slots are reused from one
//! document (and one n-gram size) to the next: emptying it is one increment (a slot of another
//! generation is empty) instead of clearing or allocating memory.

use xxhash_rust::xxh3::xxh3_64;

use crate::text;

/// A full table would make a look-up of a new item probe forever: more items than
/// [`ItemTable::reset`] was sized for is a bug in the caller (sizes come from the code, not the
/// input), so debug builds (the tests) panic instead of hanging; release builds skip the check
/// (+0.9% instructions on the filters' hot loops).
const FULL: &str = "ItemTable: more distinct items than reset() sized the table for";

/// One slot of an [`ItemTable`].
#[derive(Clone, Copy, Default)]
pub(crate) struct Slot {
    key: u64,
    /// Generation in which the slot was filled (another one: the slot is empty).
    gen: u32,
    /// Position of the first item with this key.
    pub(crate) first: u32,
}

/// See the module documentation.
#[derive(Default)]
pub(crate) struct ItemTable {
    slots: Vec<Slot>,
    gen: u32,
    mask: usize,
    shift: u32,
}

impl ItemTable {
    /// Empty the table, sized for `items` keys (load factor at most 1/2).
    pub(crate) fn reset(&mut self, items: usize) {
        let cap = (items * 2).next_power_of_two().max(16);
        if cap > self.slots.len() || self.gen == u32::MAX {
            self.slots = vec![Slot::default(); cap.max(self.slots.len())];
            self.gen = 0;
        }
        self.gen += 1;
        // Probe over the first `cap` slots only: a small document's table stays in cache.
        self.mask = cap - 1;
        self.shift = 64 - cap.trailing_zeros();
    }

    /// The slot of the item at `pos` with hash `key`, and whether an equal item was there
    /// already (`same(p)`: the item at `pos` equals the one first seen at `p`); a new item is
    /// inserted.
    #[inline]
    pub(crate) fn slot(
        &mut self,
        key: u64,
        pos: usize,
        same: impl Fn(usize) -> bool,
    ) -> (&mut Slot, bool) {
        let mut i = (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize;
        let mut probes = 0;
        loop {
            let s = self.slots[i];
            if s.gen != self.gen {
                self.slots[i] = Slot {
                    key,
                    gen: self.gen,
                    first: pos as u32,
                };
                return (&mut self.slots[i], false);
            }
            if s.key == key && same(s.first as usize) {
                return (&mut self.slots[i], true);
            }
            i = (i + 1) & self.mask;
            probes += 1;
            debug_assert!(probes <= self.mask, "{FULL}");
        }
    }

    /// The table's slots and generation borrowed for a loop of lookups ([`Probe::find`]), so
    /// that they stay in registers while the loop writes other memory.
    pub(crate) fn probe(&mut self) -> Probe<'_> {
        Probe {
            slots: &mut self.slots[..=self.mask],
            gen: self.gen,
            shift: self.shift,
        }
    }

    /// Repeated items (2nd and later occurrences) among the byte ranges `items` of `text`, and
    /// their characters.
    pub(crate) fn count_duplicates(
        &mut self,
        text: &str,
        items: &[(usize, usize)],
    ) -> (usize, usize) {
        if items.len() < 2 {
            // Nothing to repeat (a text of one paragraph, say): no item needs hashing.
            return (0, 0);
        }
        self.reset(items.len());
        let bytes = text.as_bytes();
        let (mut dups, mut chars) = (0, 0);
        for (i, &(s, e)) in items.iter().enumerate() {
            let it = &bytes[s..e];
            let same = |p: usize| {
                let (ps, pe) = items[p];
                &bytes[ps..pe] == it
            };
            if self.slot(xxh3_64(it), i, same).1 {
                dups += 1;
                chars += text::char_len(&text[s..e]);
            }
        }
        (dups, chars)
    }
}

/// See [`ItemTable::probe`].
pub(crate) struct Probe<'a> {
    slots: &'a mut [Slot],
    gen: u32,
    shift: u32,
}

impl Probe<'_> {
    /// As [`ItemTable::slot`]: the position of the first item equal to the one at `pos` with
    /// hash `key`, and whether there was one (else the item at `pos` is inserted).
    #[inline(always)]
    pub(crate) fn find(
        &mut self,
        key: u64,
        pos: usize,
        same: impl Fn(usize) -> bool,
    ) -> (u32, bool) {
        let mask = self.slots.len() - 1;
        let mut i = (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize & mask;
        let mut probes = 0;
        loop {
            let s = &mut self.slots[i];
            if s.gen != self.gen {
                *s = Slot {
                    key,
                    gen: self.gen,
                    first: pos as u32,
                };
                return (pos as u32, false);
            }
            if s.key == key && same(s.first as usize) {
                return (s.first, true);
            }
            i = (i + 1) & mask;
            probes += 1;
            debug_assert!(probes <= mask, "{FULL}");
        }
    }
}

/// Byte ranges in `text` of `pieces` (slices of `text`), into `out`.
pub(crate) fn ranges_of<'a>(
    text: &str,
    pieces: impl Iterator<Item = &'a str>,
    out: &mut Vec<(usize, usize)>,
) {
    out.clear();
    out.extend(pieces.map(|p| {
        let r = crate::text::range_in(text, p);
        (r.start, r.end)
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_exact_duplicates_even_when_keys_collide() {
        let text = "a\nb\na\nccc\nccc\nccc";
        let mut items = Vec::new();
        ranges_of(text, text.split('\n'), &mut items);
        let mut t = ItemTable::default();
        assert_eq!(t.count_duplicates(text, &items), (3, 7));
        // every key equal: only the exact comparison tells items apart
        t.reset(4);
        let words = ["x", "y", "x", "z"];
        let seen: Vec<bool> = (0..4)
            .map(|i| t.slot(7, i, |p| words[p] == words[i]).1)
            .collect();
        assert_eq!(seen, [false, false, true, false]);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "more distinct items")]
    fn more_items_than_the_table_was_sized_for_panics_instead_of_hanging() {
        let mut t = ItemTable::default();
        t.reset(2); // 16 slots
        for i in 0..17 {
            t.slot(i as u64, i, |_| false);
        }
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "more distinct items")]
    fn a_full_probe_panics_instead_of_hanging() {
        let mut t = ItemTable::default();
        t.reset(2);
        let mut p = t.probe();
        for i in 0..17 {
            p.find(i as u64, i, |_| false);
        }
    }
}
