//! Server-sent events as `fetch` delivers them: bytes in chunks of any size, cut into frames
//! at blank lines, then read as a generation's events, or a story run's (a generation's
//! events per chapter, between `chapter` and `story_done`). (`EventSource` cannot POST a
//! body or send the Bearer header, so the stream is read by hand.)

use penora_api_types::{ChapterEvent, DeltaEvent, EndEvent, MetaEvent, StoryEndEvent, UsageEvent};

/// What one kind of stream's frames are read as; the reader in `api.rs` is the same for all.
pub trait StreamEvent: Sized {
    /// The event a frame holds: `None` for names this app does not know (a newer server may
    /// add some), an error when a known event's data does not parse.
    fn decode(frame: &Frame) -> Option<Result<Self, serde_json::Error>>;

    /// Whether the stream ends with this event.
    fn is_last(&self) -> bool;
}

/// One event of a streamed generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GenerationEvent {
    Meta(MetaEvent),
    Delta(DeltaEvent),
    Usage(UsageEvent),
    /// `done` or `error`, always the last event; an `error` carries `EndEvent::error`.
    End(EndEvent),
}

impl StreamEvent for GenerationEvent {
    fn decode(frame: &Frame) -> Option<Result<Self, serde_json::Error>> {
        let data = frame.data.as_str();
        Some(match frame.event.as_str() {
            "meta" => serde_json::from_str(data).map(Self::Meta),
            "delta" => serde_json::from_str(data).map(Self::Delta),
            "usage" => serde_json::from_str(data).map(Self::Usage),
            "done" | "error" => serde_json::from_str(data).map(Self::End),
            _ => return None,
        })
    }

    fn is_last(&self) -> bool {
        matches!(self, Self::End(_))
    }
}

/// One event of a story written chapter after chapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoryEvent {
    /// The next chapter starts; its own generation's events follow.
    Chapter(ChapterEvent),
    /// An event of the running chapter's generation. Its `End` is not the stream's: the
    /// next chapter, or `Done`, follows.
    Step(GenerationEvent),
    /// `story_done`, always the last event.
    Done(StoryEndEvent),
}

impl StreamEvent for StoryEvent {
    fn decode(frame: &Frame) -> Option<Result<Self, serde_json::Error>> {
        let data = frame.data.as_str();
        Some(match frame.event.as_str() {
            "chapter" => serde_json::from_str(data).map(Self::Chapter),
            "story_done" => serde_json::from_str(data).map(Self::Done),
            _ => return GenerationEvent::decode(frame).map(|step| step.map(Self::Step)),
        })
    }

    fn is_last(&self) -> bool {
        matches!(self, Self::Done(_))
    }
}

/// One complete frame: its `event:` name (`message` when it has none) and its `data:` lines.
#[derive(Debug, PartialEq, Eq)]
pub struct Frame {
    pub event: String,
    pub data: String,
}

impl Frame {
    /// A frame's lines; `None` when it has no data (only comments, e.g. a keep-alive).
    fn parse(text: &str) -> Option<Self> {
        let mut event = None;
        let mut data: Option<String> = None;
        for line in text.lines() {
            if line.is_empty() || line.starts_with(':') {
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "event" => event = Some(value.to_owned()),
                "data" => match &mut data {
                    Some(data) => {
                        data.push('\n');
                        data.push_str(value);
                    }
                    None => data = Some(value.to_owned()),
                },
                _ => {}
            }
        }
        Some(Self {
            event: event.unwrap_or_else(|| "message".to_owned()),
            data: data?,
        })
    }
}

/// Bytes received but not yet a whole frame. Kept as bytes, not text, because a chunk may
/// end in the middle of a multi-byte character.
#[derive(Debug, Default)]
pub struct Frames {
    buffer: Vec<u8>,
}

impl Frames {
    /// Adds a chunk; the frames it completes, in order.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Frame> {
        // Dropping `\r` reads CRLF line ends as LF; JSON data never holds a bare `\r`.
        self.buffer.extend(chunk.iter().filter(|&&b| b != b'\r'));
        let mut frames = Vec::new();
        while let Some(end) = self.buffer.windows(2).position(|pair| pair == b"\n\n") {
            let raw: Vec<u8> = self.buffer.drain(..end + 2).collect();
            if let Some(frame) = Frame::parse(&String::from_utf8_lossy(&raw)) {
                frames.push(frame);
            }
        }
        frames
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(event: &str, data: &str) -> Frame {
        Frame {
            event: event.into(),
            data: data.into(),
        }
    }

    #[test]
    fn frames_split_across_chunks_and_characters() {
        let wire = "event: delta\ndata: {\"text\":\"Olá \"}\n\n: keep-alive\n\nevent: usage\ndata: {\"words\":1,\"cost_mc\":10}\n\n";
        // Every split point, including inside the two-byte `á`.
        for at in 0..wire.len() {
            let mut frames = Frames::default();
            let mut got = frames.push(&wire.as_bytes()[..at]);
            got.extend(frames.push(&wire.as_bytes()[at..]));
            assert_eq!(
                got,
                vec![
                    frame("delta", "{\"text\":\"Olá \"}"),
                    frame("usage", "{\"words\":1,\"cost_mc\":10}"),
                ],
                "split at {at}"
            );
        }
    }

    #[test]
    fn crlf_multi_line_data_and_unnamed_frames() {
        let mut frames = Frames::default();
        let got = frames.push(b"data:a\r\ndata: b\r\n\r\nevent:x\n");
        assert_eq!(got, vec![frame("message", "a\nb")]);
        assert_eq!(frames.push(b"data: c\n\n"), vec![frame("x", "c")]);
    }

    fn end_json() -> &'static str {
        "{\"generation_id\":\"0190e5b6-4c47-7cc3-9f5e-8d2d5f0b4a11\",\"status\":\"cancelled\",\
        \"finish_reason\":\"cancelled\",\"words\":12,\"cost_mc\":120,\"balance_mc\":49880,\
        \"available_mc\":49880,\"error\":null,\"prompt_tokens\":null,\"completion_tokens\":16}"
    }

    #[test]
    fn decodes_the_generation_events() {
        let delta = GenerationEvent::decode(&frame("delta", "{\"text\":\"Hi \"}"));
        assert_eq!(
            delta.map(Result::ok),
            Some(Some(GenerationEvent::Delta(DeltaEvent {
                text: "Hi ".into()
            })))
        );
        match GenerationEvent::decode(&frame("done", end_json())) {
            Some(Ok(GenerationEvent::End(end))) => {
                assert_eq!(
                    (end.status.as_str(), end.words, end.cost_mc),
                    ("cancelled", 12, 120)
                );
            }
            other => panic!("not an end event: {other:?}"),
        }
        assert!(matches!(
            GenerationEvent::decode(&frame("usage", "{}")),
            Some(Err(_))
        ));
        assert!(GenerationEvent::decode(&frame("ping", "{}")).is_none());
    }

    #[test]
    fn decodes_a_story_runs_events() {
        let chapter = StoryEvent::decode(&frame(
            "chapter",
            "{\"number\":2,\"of\":5,\"title\":\"The Quiet Harbour\"}",
        ));
        assert_eq!(
            chapter.map(Result::ok),
            Some(Some(StoryEvent::Chapter(ChapterEvent {
                number: 2,
                of: 5,
                title: "The Quiet Harbour".into()
            })))
        );
        // A chapter's own end does not end the story's stream.
        let step = StoryEvent::decode(&frame("error", end_json()));
        assert!(matches!(
            &step,
            Some(Ok(StoryEvent::Step(GenerationEvent::End(_))))
        ));
        assert!(step.and_then(Result::ok).is_some_and(|e| !e.is_last()));
        let done = "{\"project_id\":\"0190e5b6-4c47-7cc3-9f5e-8d2d5f0b4a11\",\"written\":[1],\
            \"complete\":false,\"total_cost_mc\":1500,\
            \"error\":{\"code\":\"cancelled\",\"message\":\"Stopped.\"}}";
        match StoryEvent::decode(&frame("story_done", done)) {
            Some(Ok(StoryEvent::Done(end))) => assert_eq!(
                (end.written, end.complete, end.total_cost_mc),
                (vec![1], false, 1500)
            ),
            other => panic!("not a story end: {other:?}"),
        }
        assert!(StoryEvent::decode(&frame("ping", "{}")).is_none());
    }
}
