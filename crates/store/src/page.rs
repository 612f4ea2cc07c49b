//! One page of a keyset-paginated list, with one meaning for every list.

/// At most `limit` items in list order, and whether more follow them.
///
/// A list query reads [`Page::fetch_limit`] rows (`limit + 1`) and builds the page with
/// [`Page::of`]: the extra row is only a sign that another page exists and is never
/// returned. A page that happens to end the list exactly is therefore known to be the last
/// one and has no cursor (a client that follows cursors never asks for an empty page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Items follow the last of `items`.
    pub more: bool,
}

impl<T> Page<T> {
    /// The rows a query reads for a page of `limit`: one more, to learn whether another
    /// page follows.
    pub fn fetch_limit(limit: u64) -> u64 {
        limit.saturating_add(1)
    }

    /// The page of `limit` from the rows a query read with `fetch_limit(limit)`.
    pub fn of(mut rows: Vec<T>, limit: u64) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        Page { items: rows, more }
    }

    /// The next page's cursor, made from the last item; `None` on the last page.
    pub fn cursor<C>(&self, of: impl FnOnce(&T) -> C) -> Option<C> {
        self.items.last().filter(|_| self.more).map(of)
    }
}

#[cfg(test)]
mod tests {
    use super::Page;

    #[test]
    fn reads_one_row_more_than_the_page_holds() {
        assert_eq!(Page::<u8>::fetch_limit(20), 21);
        assert_eq!(Page::<u8>::fetch_limit(u64::MAX), u64::MAX);
    }

    #[test]
    fn a_page_that_ends_the_list_exactly_has_no_cursor() {
        let page = Page::of(vec![1, 2, 3], 3);
        assert_eq!(page.items, [1, 2, 3]);
        assert!(!page.more);
        assert_eq!(page.cursor(|n| *n), None);
    }

    #[test]
    fn the_extra_row_is_dropped_and_the_cursor_is_the_last_item_kept() {
        let page = Page::of(vec![1, 2, 3, 4], 3);
        assert_eq!(page.items, [1, 2, 3]);
        assert!(page.more);
        assert_eq!(page.cursor(|n| n.to_string()), Some("3".to_owned()));
    }

    #[test]
    fn a_short_page_is_the_last() {
        let page = Page::of(vec![1], 3);
        assert_eq!(page.cursor(|n| *n), None);
        assert!(Page::<u8>::of(Vec::new(), 3).cursor(|n| *n).is_none());
    }
}
