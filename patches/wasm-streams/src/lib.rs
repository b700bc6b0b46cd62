//! Causerie's stand-in for the `wasm-streams` crate.
//!
//! Leptos always enables server_fn's `browser` feature, which depends on `wasm-streams`
//! for streaming server functions. The real crate exports `#[wasm_bindgen]` stream
//! adapter classes (`IntoUnderlyingSource` and its kin), and exported code is kept in
//! every module that links it: about 10 KB of wasm and JS glue that every reader of
//! every article would download, for server functions that Causerie never calls.
//!
//! This crate has the four items server_fn names, and no exports. Building a stream
//! from Rust throws a JS error; reading one yields a single error. The workspace patches
//! it in with `[patch.crates-io]`; `cargo xtask build` fails if the widget's glue exports
//! a stream adapter, and the tidy test `every_patch_of_the_workspace_applies` if
//! Cargo.lock says the patch is unused.

use std::{
    marker::PhantomData,
    pin::Pin,
    task::{Context, Poll},
};

use futures_core::Stream;
use wasm_bindgen::JsValue;

/// What server functions would say if they were called with a stream.
const UNSUPPORTED: &str = "causerie: streaming server functions are not supported";

/// A JS `ReadableStream`, as server_fn holds it.
#[derive(Debug)]
pub struct ReadableStream(web_sys::ReadableStream);

impl ReadableStream {
    /// Wraps a JS stream.
    pub fn from_raw(raw: web_sys::ReadableStream) -> ReadableStream {
        ReadableStream(raw)
    }

    /// Would make a JS stream of a Rust one: throws.
    pub fn from_stream<St>(_stream: St) -> ReadableStream
    where
        St: Stream<Item = Result<JsValue, JsValue>> + 'static,
    {
        wasm_bindgen::throw_str(UNSUPPORTED)
    }

    /// The JS stream.
    pub fn into_raw(self) -> web_sys::ReadableStream {
        self.0
    }

    /// Would read the JS stream: yields one error.
    pub fn into_stream(self) -> IntoStream<'static> {
        IntoStream {
            done: false,
            _stream: PhantomData,
        }
    }
}

/// The Rust side of a JS stream: one error, then the end.
#[derive(Debug)]
pub struct IntoStream<'a> {
    done: bool,
    _stream: PhantomData<&'a ()>,
}

impl Stream for IntoStream<'_> {
    type Item = Result<JsValue, JsValue>;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        self.done = true;
        Poll::Ready(Some(Err(JsValue::from_str(UNSUPPORTED))))
    }
}
