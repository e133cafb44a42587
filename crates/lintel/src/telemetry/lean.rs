//! The human log format without colours (what a server writes to a file or a collector): the
//! same line as `tracing-subscriber`'s default format — timestamp, level, span context, target,
//! message and fields — written piece by piece instead of through `format_args!`, which cost
//! more than any single request's other work (docs/decisions/0010-one-request-layer.md).
//!
//! `2026-11-30T04:11:24.123456Z  INFO request{request_id=req_… method=GET}: lintel_api::…: handled status=200`
//!
//! Messages are sanitised as the default format does (terminal escape and C1 control characters
//! are written escaped); other text fields are written quoted and escaped (`Debug`).

use std::fmt::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The event format (see the module documentation).
pub struct Lean;

/// The field format, for events and for the fields a span carries.
pub struct LeanFields;

impl<S, N> FormatEvent<S, N> for Lean
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        timestamp(&mut w, SystemTime::now())?;
        w.write_str(match *meta.level() {
            Level::TRACE => " TRACE ",
            Level::DEBUG => " DEBUG ",
            Level::INFO => "  INFO ",
            Level::WARN => "  WARN ",
            Level::ERROR => " ERROR ",
        })?;
        if let Some(scope) = ctx.event_scope() {
            let mut seen = false;
            for span in scope.from_root() {
                w.write_str(span.metadata().name())?;
                let ext = span.extensions();
                if let Some(fields) = ext.get::<FormattedFields<N>>() {
                    if !fields.is_empty() {
                        w.write_char('{')?;
                        w.write_str(fields)?;
                        w.write_char('}')?;
                    }
                }
                w.write_char(':')?;
                seen = true;
            }
            if seen {
                w.write_char(' ')?;
            }
        }
        w.write_str(meta.target())?;
        w.write_str(": ")?;
        ctx.format_fields(w.by_ref(), event)?;
        w.write_char('\n')
    }
}

impl<'w> FormatFields<'w> for LeanFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'w>, fields: R) -> fmt::Result {
        let mut v = Fields {
            w: writer,
            first: true,
            result: Ok(()),
        };
        fields.record(&mut v);
        v.result
    }
}

struct Fields<'w> {
    w: Writer<'w>,
    first: bool,
    result: fmt::Result,
}

impl Fields<'_> {
    /// Writes the separator and `name=` (nothing for the message); false for fields that are
    /// not written at all (`log.*`: the metadata of events from the `log` crate).
    fn name(&mut self, field: &Field) -> Result<bool, fmt::Error> {
        let name = field.name();
        if name.starts_with("log.") {
            return Ok(false);
        }
        if !self.first {
            self.w.write_char(' ')?;
        }
        self.first = false;
        if name != "message" {
            self.w.write_str(name.strip_prefix("r#").unwrap_or(name))?;
            self.w.write_char('=')?;
        }
        Ok(true)
    }

    fn field(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'_>) -> fmt::Result) {
        if self.result.is_ok() {
            self.result = match self.name(field) {
                Ok(true) => value(&mut self.w),
                other => other.map(drop),
            };
        }
    }
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.field(field, |w| Sanitised(w).write_str(value));
        } else {
            self.field(field, |w| quoted(w, value));
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.field(field, |w| unsigned(w, value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.field(field, |w| {
            if value < 0 {
                w.write_char('-')?;
            }
            unsigned(w, value.unsigned_abs())
        });
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.field(field, |w| w.write_str(if value { "true" } else { "false" }));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.field(field, |w| write!(Sanitised(w), "{value:?}"));
        } else {
            self.field(field, |w| write!(w, "{value:?}"));
        }
    }
}

/// `value` in decimal.
fn unsigned(w: &mut impl Write, mut value: u64) -> fmt::Result {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    w.write_str(std::str::from_utf8(&buf[at..]).map_err(|_| fmt::Error)?)
}

/// A text field as `Debug` writes it: quoted, with quotes, backslashes and control characters
/// escaped (plain text takes the short way).
fn quoted(w: &mut impl Write, value: &str) -> fmt::Result {
    let plain = value
        .bytes()
        .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\');
    if plain {
        w.write_char('"')?;
        w.write_str(value)?;
        w.write_char('"')
    } else {
        write!(w, "{value:?}")
    }
}

/// Writes messages with terminal escape and C1 control characters escaped, as the default
/// format does, so a message cannot drive the terminal that shows it.
struct Sanitised<'a, W: Write>(&'a mut W);

impl<W: Write> Write for Sanitised<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let risky = |c: char| {
            matches!(
                c,
                '\x1b' | '\x07' | '\x08' | '\x0c' | '\x7f' | '\u{80}'..='\u{9f}'
            )
        };
        if !s.contains(risky) {
            return self.0.write_str(s);
        }
        for c in s.chars() {
            match c {
                '\u{80}'..='\u{9f}' => write!(self.0, "\\u{{{:x}}}", c as u32)?,
                c if risky(c) => write!(self.0, "\\x{:02x}", c as u32)?,
                c => self.0.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// `2026-11-30T04:11:24.123456Z`: UTC, microseconds (the default format's timestamp).
fn timestamp(w: &mut impl Write, now: SystemTime) -> fmt::Result {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = lintel_domain::time::civil_from_days(days as i64);
    let mut buf = *b"0000-00-00T00:00:00.000000Z";
    let mut put = |at: usize, width: usize, mut n: u64| {
        for i in (at..at + width).rev() {
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    put(0, 4, y as u64);
    put(5, 2, u64::from(m));
    put(8, 2, u64::from(d));
    put(11, 2, rest / 3600);
    put(14, 2, rest % 3600 / 60);
    put(17, 2, rest % 60);
    put(20, 6, u64::from(since.subsec_micros()));
    w.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    use tracing_subscriber::prelude::*;

    #[test]
    fn timestamps_match_chrono() {
        for secs in [
            0u64,
            951_782_400,
            1_700_000_000,
            1_798_761_599,
            4_102_444_800,
        ] {
            let t = UNIX_EPOCH + Duration::from_micros(secs * 1_000_000 + 123_456);
            let mut s = String::new();
            timestamp(&mut s, t).unwrap();
            let want = chrono::DateTime::<chrono::Utc>::from(t)
                .format("%Y-%m-%dT%H:%M:%S%.6fZ")
                .to_string();
            assert_eq!(s, want);
        }
    }

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The same line the default format writes without colours, after the timestamp.
    #[test]
    fn lines_read_as_the_default_formats_do() {
        let lines = |lean: bool| {
            let sink = Sink::default();
            let out = sink.clone();
            let layer = tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(move || out.clone());
            let subscriber = tracing_subscriber::registry();
            let run = || {
                let span =
                    tracing::info_span!("request", request_id = %"req_1", path = "/a b", n = 3u64);
                span.in_scope(|| {
                    tracing::info!(
                        status = 200u16,
                        neg = -4i64,
                        ok = true,
                        who = "x\"y",
                        "handled"
                    );
                    tracing::warn!(detail = ?Some(1), "bad \x1b[31m \u{85}thing");
                });
                tracing::error!("outside");
            };
            if lean {
                let layer = layer.event_format(Lean).fmt_fields(LeanFields);
                tracing::subscriber::with_default(subscriber.with(layer), run);
            } else {
                tracing::subscriber::with_default(subscriber.with(layer), run);
            }
            let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
            text.lines()
                .map(|l| l[27..].to_string())
                .collect::<Vec<_>>()
        };
        let (lean, default) = (lines(true), lines(false));
        assert_eq!(lean.len(), 3, "{lean:?}");
        assert_eq!(lean, default);
        assert!(lean[1].contains(r"bad \x1b[31m \u{85}thing"), "{}", lean[1]);
    }
}
