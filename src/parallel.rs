//! Work split over every core (at most 8 threads), results kept in input order.

/// Maps `f` over `items` on every core; the results come back in the order of `items`
/// (`None` results are dropped). Small inputs stay on the calling thread.
pub(crate) fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> Option<R> + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if workers == 1 || items.len() < 64 {
        return items.iter().filter_map(&f).collect();
    }
    let per = items.len().div_ceil(workers);
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(per)
            .map(|part| s.spawn(move || part.iter().filter_map(f).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_the_order_and_drops_nones() {
        let items: Vec<u32> = (0..10_000).collect();
        let out = super::map(&items, |&i| (i % 3 != 0).then_some(i * 2));
        let expected: Vec<u32> = items
            .iter()
            .filter(|&&i| i % 3 != 0)
            .map(|&i| i * 2)
            .collect();
        assert_eq!(out, expected);
    }
}
