//! Per-chunk work across chunks: in parallel with the `parallel` feature (rayon), in order
//! without it. Either way the results come back in input order, so the bytes are the same.

/// Applies `f` to every item and returns the results in the items' order.
#[cfg(feature = "parallel")]
pub(crate) fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    use rayon::prelude::*;
    items.par_iter().map(f).collect()
}

/// Applies `f` to every item and returns the results in the items' order.
#[cfg(not(feature = "parallel"))]
pub(crate) fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    items.iter().map(f).collect()
}

/// Runs `a` and `b`, on two threads when rayon has them, and returns both results. The
/// streaming writer and opener overlap a chunk's sealing (or opening) with a digest this way.
#[cfg(feature = "parallel")]
pub(crate) fn join<RA: Send, RB: Send>(a: impl FnOnce() -> RA + Send, b: impl FnOnce() -> RB + Send) -> (RA, RB) {
    rayon::join(a, b)
}

/// Runs `a`, then `b`, and returns both results.
#[cfg(not(feature = "parallel"))]
pub(crate) fn join<RA: Send, RB: Send>(a: impl FnOnce() -> RA + Send, b: impl FnOnce() -> RB + Send) -> (RA, RB) {
    (a(), b())
}

/// Whether spreading work of these sizes over threads can pay for the copy it costs (each item
/// sealed or opened into a buffer of its own, then joined): rayon has more than one thread and
/// the items other than the largest are more than an eighth of the whole. A 1 MiB attachment is
/// one large segment and a few small chunks, and runs faster in order, straight into its
/// destination; 64 segments of 1 MiB are spread.
pub(crate) fn worth_spreading(sizes: impl Iterator<Item = usize>) -> bool {
    let (mut total, mut largest) = (0usize, 0usize);
    for size in sizes {
        total = total.saturating_add(size);
        largest = largest.max(size);
    }
    threads() > 1 && (total - largest) > total / 8
}

#[cfg(feature = "parallel")]
fn threads() -> usize {
    rayon::current_num_threads()
}

#[cfg(not(feature = "parallel"))]
fn threads() -> usize {
    1
}
