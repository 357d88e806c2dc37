//! The scheduler's queue of component tasks by component id, in place of Yew's
//! `BTreeMap<usize, QueueEntry>`: a list kept in descending id order, so the lowest id (a parent,
//! created before its children) is the last element. `cargo xtask dist` copies this file into
//! the shipped page's patched Yew (crates/xtask/src/yew_patch.rs says why and what it saves); the
//! xtask's tests hold it to the `BTreeMap` it replaces.
//!
//! The page queues a handful of tasks at a time (one per component with something to render),
//! so a list's insertion, which moves the entries after it, costs less than a B-tree's nodes.

/// At most one task per component id, taken lowest id first or all of them highest id first.
pub(crate) struct ByComponent<T> {
    /// Descending by id, no id twice.
    entries: Vec<(usize, T)>,
}

impl<T> Default for ByComponent<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> ByComponent<T> {
    /// An empty queue, at compile time (the scheduler is a constant-initialised thread local).
    pub(crate) const fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    /// Queues `task` for component `id`, in place of a task already queued for it (as
    /// `BTreeMap::insert` does).
    pub(crate) fn insert(&mut self, id: usize, task: T) {
        match self.entries.binary_search_by(|(probe, _)| id.cmp(probe)) {
            Ok(at) => self.entries[at].1 = task,
            Err(at) => self.entries.insert(at, (id, task)),
        }
        debug_assert!(self.entries.windows(2).all(|pair| pair[0].0 > pair[1].0));
    }

    /// The task of the lowest id, removed (as `BTreeMap::pop_first`).
    pub(crate) fn pop_first(&mut self) -> Option<T> {
        self.entries.pop().map(|(_, task)| task)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every task, highest id first (as `BTreeMap::into_values().rev()`).
    pub(crate) fn into_values_descending(self) -> impl Iterator<Item = T> {
        self.entries.into_iter().map(|(_, task)| task)
    }
}
