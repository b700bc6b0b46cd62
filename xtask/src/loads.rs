//! Page loads side by side with Isso, on a phone and on a desktop: from navigation, for
//! a reader who scrolls to the comments, when the comment form can be typed into and
//! when the first comment shows, how much the page's layout shifted, and how many bytes
//! the comments cost before the reader scrolls.
//!
//! Three pages, the demo article each time: ours with the script tag alone; ours with the
//! thread as HTML in the page (`/api/v1/thread.html`, as nginx's SSI or a static site
//! puts it there) and the script tag, which takes it over; Isso's, as its documentation
//! embeds it. The phone is Lighthouse's mobile profile, through Chromium's DevTools
//! protocol (chromedriver's `goog/cdp/execute`): 4× slower CPU, 150 ms round trips,
//! 1.6 Mbit/s down and 750 kbit/s up, a 412 × 823 screen. Each load is cold (a fresh
//! profile); the figures are medians.

use std::path::Path;

use anyhow::{Context, Result};
use fantoccini::Client;
use serde_json::{Value, json};

use crate::bench::{Process, session};

/// A DevTools command, through chromedriver's endpoint for them.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

async fn cdp(c: &Client, cmd: &'static str, params: Value) -> Result<()> {
    c.issue_cmd(Cdp { cmd, params })
        .await
        .with_context(|| format!("DevTools {cmd}"))?;
    Ok(())
}

/// Lighthouse's mobile throttling, on this session.
async fn phone(c: &Client) -> Result<()> {
    cdp(c, "Network.enable", json!({})).await?;
    cdp(
        c,
        "Network.emulateNetworkConditions",
        json!({ "offline": false, "latency": 150,
                "downloadThroughput": 1_638_400 / 8, "uploadThroughput": 750 * 1024 / 8 }),
    )
    .await?;
    cdp(c, "Emulation.setCPUThrottlingRate", json!({ "rate": 4 })).await?;
    cdp(
        c,
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 412, "height": 823, "deviceScaleFactor": 1.75, "mobile": true }),
    )
    .await
}

/// Watches the page from its first byte: when the form and the first comment appear
/// (each frame), and every layout shift.
const WATCH: &str = "(() => {
  const seen = window.__seen = { form: null, first: null, shift: 0 };
  new PerformanceObserver(list => { for (const e of list.getEntries()) seen.shift += e.value; })
    .observe({ type: 'layout-shift', buffered: true });
  const find = (ours, isso) => {
    const host = document.querySelector('[data-causerie]');
    return host ? host.shadowRoot && host.shadowRoot.querySelector(ours) : document.querySelector(isso);
  };
  (function poll() {
    const t = performance.now();
    if (seen.form === null && find('[data-testid=submit]', '#isso-thread .isso-postbox input[type=submit]')) seen.form = t;
    if (seen.first === null && find('[data-testid=entry-text]', '#isso-thread .isso-comment .isso-text')) seen.first = t;
    if (seen.form === null || seen.first === null) requestAnimationFrame(poll);
  })();
})();";

/// One page's figures: the form, the first comment, the layout shift, and the bytes on
/// the wire that the comments cost before any scroll (of a load of its own).
#[derive(Clone, Copy, Debug, Default)]
pub struct Load {
    pub form_ms: f64,
    pub first_ms: f64,
    pub shift: f64,
    pub before_scroll: f64,
}

/// One cold load of `url`, on a phone or not.
async fn load(driver: u16, profile: &Path, url: &str, on_phone: bool) -> Result<Load> {
    let c = session(driver, profile).await?;
    let measured = async {
        if on_phone {
            phone(&c).await?;
        }
        cdp(
            &c,
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": WATCH }),
        )
        .await?;
        c.goto(url).await?;
        // The page's widget (or Isso's thread), before the scroll: once seen, in CI, it
        // was not there yet when the navigation returned.
        comment_area(&c, "[data-causerie], #isso-thread").await?;
        let seen = c
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const host = document.querySelector('[data-causerie]') || document.querySelector('#isso-thread');
                 host.scrollIntoView();
                 const t0 = performance.now();
                 (function wait() {
                   const s = window.__seen;
                   if (s.form !== null && s.first !== null) {
                     // Shifts come a frame after what moved: one more second to see them.
                     return setTimeout(() => done([s.form, s.first, s.shift]), 1000);
                   }
                   if (performance.now() - t0 > 60000) return done(null);
                   setTimeout(wait, 20);
                 })();",
                vec![],
            )
            .await?;
        let seen = seen
            .as_array()
            .with_context(|| format!("no form or no comment on {url} within a minute"))?
            .clone();
        let number = |i: usize| seen.get(i).and_then(Value::as_f64).unwrap_or(f64::NAN);
        anyhow::Ok(Load {
            form_ms: number(0),
            first_ms: number(1),
            shift: number(2),
            before_scroll: f64::NAN,
        })
    }
    .await;
    c.close().await?;
    measured
}

/// Chromium's log of what the network did (`goog:loggingPrefs`), through chromedriver.
#[derive(Debug)]
struct PerformanceLog;

impl fantoccini::wd::WebDriverCompatibleCommand for PerformanceLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "type": "performance" });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// What the comments cost a reader who never scrolls, in one more cold load of `url`:
/// the bytes of the bodies as sent (compressed; Chromium's network log counts them
/// whatever the origin, where the page's Resource Timing sees no other origin's) of
/// every response but the page and its own stylesheet and script, until a second after
/// the load event.
async fn bytes_before_scroll(
    driver: u16,
    profile: &Path,
    url: &str,
    on_phone: bool,
) -> Result<f64> {
    let c = crate::bench::session_with(driver, profile, json!({ "performance": "ALL" })).await?;
    let measured = async {
        if on_phone {
            phone(&c).await?;
        }
        c.goto(url).await?;
        comment_area(&c, "[data-causerie], #isso-thread").await?;
        c.execute_async(
            "const done = arguments[arguments.length - 1];
             const later = () => setTimeout(() => done(true), 1000);
             if (document.readyState === 'complete') later(); else addEventListener('load', later);",
            vec![],
        )
        .await?;
        let log = c.issue_cmd(PerformanceLog).await.context("the performance log")?;
        let mut urls = std::collections::HashMap::new();
        let mut bytes = 0.0;
        for entry in log.as_array().into_iter().flatten() {
            let Some(message) = entry["message"].as_str() else { continue };
            let Ok(message) = serde_json::from_str::<Value>(message) else { continue };
            let params = &message["message"]["params"];
            let id = params["requestId"].as_str().unwrap_or_default().to_owned();
            match message["message"]["method"].as_str() {
                Some("Network.requestWillBeSent") => {
                    // The browser's own (its new-tab page, the favicon) and the page's own
                    // do not count.
                    let kind = params["type"].as_str().unwrap_or_default();
                    let url = params["request"]["url"].as_str().unwrap_or_default();
                    let counted = url.starts_with("http")
                        && kind != "Document"
                        && !["/demo.css", "/demo.js", "/favicon.ico"]
                            .iter()
                            .any(|own| url.ends_with(own));
                    urls.insert(id, (counted, 0.0));
                }
                Some("Network.responseReceived") => {
                    if let Some(seen) = urls.get_mut(&id) {
                        seen.1 = params["response"]["encodedDataLength"].as_f64().unwrap_or(0.0);
                    }
                }
                Some("Network.loadingFinished") => {
                    if let Some((true, headers)) = urls.get(&id) {
                        // The body as sent (compressed), without its headers.
                        bytes += params["encodedDataLength"].as_f64().unwrap_or(0.0) - headers;
                    }
                }
                _ => {}
            }
        }
        anyhow::Ok(bytes)
    }
    .await;
    c.close().await?;
    measured
}

/// The medians of `runs` cold loads of each of `pages`, on a phone (`[0]`) and on a
/// desktop (`[1]`); the layout shift is the largest seen.
pub fn side_by_side(pages: &[String], runs: usize) -> Result<[Vec<Load>; 2]> {
    let driver = Process::chromedriver()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let profiles = tempfile::tempdir()?;
    let mut out = [Vec::new(), Vec::new()];
    for (device, on_phone) in [true, false].into_iter().enumerate() {
        for (side, url) in pages.iter().enumerate() {
            let mut loads = Vec::new();
            for run in 0..runs {
                let profile = profiles.path().join(format!("{device}-{side}-{run}"));
                loads.push(runtime.block_on(load(driver.port, &profile, url, on_phone))?);
            }
            let median = |f: fn(&Load) -> f64| {
                let mut v: Vec<f64> = loads.iter().map(f).collect();
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            };
            out[device].push(Load {
                form_ms: median(|l| l.form_ms),
                first_ms: median(|l| l.first_ms),
                shift: loads.iter().map(|l| l.shift).fold(0.0, f64::max),
                before_scroll: runtime.block_on(bytes_before_scroll(
                    driver.port,
                    &profiles.path().join(format!("{device}-{side}-bytes")),
                    url,
                    on_phone,
                ))?,
            });
        }
    }
    Ok(out)
}
/// Waits until the page has an element that `css` matches: the comment area, which the
/// loader makes, may come after the navigation returns. After 20 s, fails naming the page.
pub async fn comment_area(c: &fantoccini::Client, css: &str) -> anyhow::Result<()> {
    let start = std::time::Instant::now();
    while c
        .execute(
            "return !document.querySelector(arguments[0]);",
            vec![Value::from(css)],
        )
        .await?
        == Value::Bool(true)
    {
        if start.elapsed() > std::time::Duration::from_secs(20) {
            let page = c
                .execute(
                    "return location.href + ' (' + document.readyState + ', ' + document.title + '): ' + (document.body ? document.body.innerText.slice(0, 200) : '');",
                    vec![],
                )
                .await?;
            anyhow::bail!("no {css} on the page after 20 s: {page}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Ok(())
}
