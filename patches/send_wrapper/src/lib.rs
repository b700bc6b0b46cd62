//! Causerie's stand-in for the `send_wrapper` crate, with the same API.
//!
//! Leptos wraps its DOM handles and futures in `SendWrapper`, which lets a value that is
//! not `Send` cross threads and checks, on each access, that it is used on the thread
//! that made it. The check asks `std::thread::current()`, and on wasm that first call
//! builds std's thread handle with the *system* allocator: it links dlmalloc into the
//! widget beside the global allocator, about 2 KB brotli that every reader downloads.
//!
//! The widget's wasm (wasm32 without the `atomics` feature) has exactly one thread, so
//! the check can never fail there, and this crate leaves it out. Everywhere else (the
//! widget's native builds for clippy and tests) it checks as the original does, and
//! panics on a wrong-thread access. The workspace patches it in with
//! `[patch.crates-io]`; `tests/web.rs` mounts the widget through it.

use std::{
    fmt,
    mem::ManuallyDrop,
    ops::{Deref, DerefMut},
};

/// Whether the target has one thread only: then no value can ever cross threads.
const SINGLE_THREADED: bool = cfg!(all(target_family = "wasm", not(target_feature = "atomics")));

/// A value that may be moved to other threads, and used, cloned or dropped only on the
/// thread that made it.
pub struct SendWrapper<T> {
    data: ManuallyDrop<T>,
    /// The thread that made it, where there can be others.
    thread: Option<std::thread::ThreadId>,
}

fn this_thread() -> Option<std::thread::ThreadId> {
    if SINGLE_THREADED {
        None
    } else {
        Some(std::thread::current().id())
    }
}

impl<T> SendWrapper<T> {
    /// Wraps `data`, made on this thread.
    pub fn new(data: T) -> SendWrapper<T> {
        SendWrapper {
            data: ManuallyDrop::new(data),
            thread: this_thread(),
        }
    }

    /// Whether the value may be used on this thread.
    pub fn valid(&self) -> bool {
        self.thread == this_thread()
    }

    /// The value, out of its wrapper.
    ///
    /// # Panics
    ///
    /// On another thread than the one that made it.
    #[track_caller]
    pub fn take(self) -> T {
        self.check();
        let mut this = ManuallyDrop::new(self);
        // SAFETY: the value is used on its own thread (checked above), and `this` is never
        // dropped, so the value is moved out exactly once.
        unsafe { ManuallyDrop::take(&mut this.data) }
    }

    #[track_caller]
    fn check(&self) {
        if !self.valid() {
            panic!("a SendWrapper was used on another thread than the one that made it");
        }
    }
}

// SAFETY: every access to the value (`Deref`, `DerefMut`, `take`, `Clone`, `Debug`,
// polling) and its drop check that they run on the thread that made it, where there can
// be other threads; where there cannot, every access is on that one thread.
unsafe impl<T> Send for SendWrapper<T> {}
// SAFETY: as for `Send`: a shared reference gives access only on the value's own thread.
unsafe impl<T> Sync for SendWrapper<T> {}

impl<T> Deref for SendWrapper<T> {
    type Target = T;

    #[track_caller]
    fn deref(&self) -> &T {
        self.check();
        &self.data
    }
}

impl<T> DerefMut for SendWrapper<T> {
    #[track_caller]
    fn deref_mut(&mut self) -> &mut T {
        self.check();
        &mut self.data
    }
}

impl<T> Drop for SendWrapper<T> {
    #[track_caller]
    fn drop(&mut self) {
        // A value without drop glue may go anywhere; a panic while unwinding would abort.
        if !std::mem::needs_drop::<T>() || self.valid() {
            // SAFETY: on the value's own thread, and dropped once: `take` skips this.
            unsafe { ManuallyDrop::drop(&mut self.data) }
        } else if !std::thread::panicking() {
            panic!("a SendWrapper was dropped on another thread than the one that made it");
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for SendWrapper<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SendWrapper").field(self.deref()).finish()
    }
}

impl<T: Clone> Clone for SendWrapper<T> {
    #[track_caller]
    fn clone(&self) -> Self {
        Self::new(self.deref().clone())
    }
}

#[cfg(feature = "futures")]
mod futures {
    use std::{
        future::Future,
        pin::Pin,
        task::{Context, Poll},
    };

    use futures_core::Stream;

    use crate::SendWrapper;

    impl<F: Future> Future for SendWrapper<F> {
        type Output = F::Output;

        #[track_caller]
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
            // SAFETY: the wrapper holds the future inline, so while the wrapper is pinned
            // the future is too; `deref_mut` checks the thread.
            unsafe { self.map_unchecked_mut(|w| &mut **w) }.poll(cx)
        }
    }

    impl<S: Stream> Stream for SendWrapper<S> {
        type Item = S::Item;

        #[track_caller]
        fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
            // SAFETY: as for `Future::poll`.
            unsafe { self.map_unchecked_mut(|w| &mut **w) }.poll_next(cx)
        }

        fn size_hint(&self) -> (usize, Option<usize>) {
            (**self).size_hint()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SendWrapper;
    use std::rc::Rc;

    #[test]
    fn a_value_is_used_on_its_own_thread() {
        let w = SendWrapper::new(Rc::new(5));
        assert_eq!(**w, 5);
        assert_eq!(*w.clone().take(), 5);
    }

    #[test]
    fn a_value_used_on_another_thread_panics() {
        let w = SendWrapper::new(Rc::new(5));
        let other = std::thread::spawn(move || {
            let valid = w.valid();
            let _ = **w;
            valid
        });
        assert!(other.join().is_err());
    }

    #[test]
    fn a_value_without_drop_glue_may_be_dropped_anywhere() {
        let w = SendWrapper::new(5_u8);
        let other = std::thread::spawn(move || w.valid());
        assert!(!other.join().unwrap());
    }
}
