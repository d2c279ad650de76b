//! Disjoint sets over document indices, for grouping near-duplicates into clusters.
//!
//! The root of a set is always its smallest index (union links the larger root under the
//! smaller), so a cluster's root is its first document in input order whatever order the
//! unions came in: this is what makes survivors independent of scheduling. Memory: one `u32`
//! per document.

/// Union-find with path halving; roots are the smallest member.
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    /// `n` singleton sets `0..n`.
    ///
    /// # Panics
    /// If `n` exceeds `u32::MAX` (more than four billion documents in one stage).
    pub fn new(n: usize) -> Self {
        assert!(
            n <= u32::MAX as usize,
            "too many documents for one dedup stage"
        );
        UnionFind {
            parent: (0..n as u32).collect(),
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// The root (smallest member) of `x`'s set.
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grand = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grand;
            x = grand;
        }
        x
    }

    /// Merge the sets of `a` and `b`; returns whether they were apart.
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[hi as usize] = lo;
        true
    }

    /// The root of every element, in index order (compresses every path).
    pub fn roots(mut self) -> Vec<u32> {
        for i in 0..self.parent.len() as u32 {
            let r = self.find(i);
            self.parent[i as usize] = r;
        }
        self.parent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_smallest_member_whatever_the_union_order() {
        let mut a = UnionFind::new(6);
        a.union(5, 3);
        a.union(3, 4);
        a.union(1, 4);
        let mut b = UnionFind::new(6);
        b.union(4, 1);
        b.union(1, 3);
        b.union(3, 5);
        assert_eq!(a.roots(), vec![0, 1, 2, 1, 1, 1]);
        assert_eq!(b.roots(), vec![0, 1, 2, 1, 1, 1]);
    }

    #[test]
    fn union_reports_whether_sets_were_apart() {
        let mut u = UnionFind::new(3);
        assert!(u.union(0, 2));
        assert!(!u.union(2, 0));
        assert_eq!(u.find(2), 0);
        assert_eq!(u.len(), 3);
    }
}
