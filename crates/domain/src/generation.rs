//! What a user may ask a writing tool for, parsed once at the edge: the tool, the text it
//! works on, the length, the tone. The lifecycle states of a stored generation are
//! [`GenerationStatus`].

use std::fmt;
use std::str::FromStr;

use crate::validation::{FieldError, FieldErrors};

mod status;

pub use status::GenerationStatus;

/// The most characters of input text a generation takes (about 8,000 words): enough for a
/// chapter to continue or rewrite, small enough for every model's context.
pub const MAX_INPUT_CHARS: usize = 50_000;
/// The most characters of instructions, tone or a custom rewrite style.
pub const MAX_INSTRUCTION_CHARS: usize = 2_000;
pub const MAX_TONE_CHARS: usize = 100;

/// The writing tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tool {
    /// Write something new from instructions.
    Write,
    /// Carry the user's text on.
    Continue,
    /// Say the user's text again in another style.
    Rewrite,
    /// Describe a scene, person or thing with sensory detail.
    Describe,
    /// A numbered list of ideas.
    Brainstorm,
    /// An OpenAI-style chat completion (the compatible API).
    Chat,
    /// A story's outline, or one of its chapters.
    Outline,
    Chapter,
}

impl Tool {
    pub const USER_TOOLS: [Tool; 5] = [
        Tool::Write,
        Tool::Continue,
        Tool::Rewrite,
        Tool::Describe,
        Tool::Brainstorm,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Write => "write",
            Self::Continue => "continue",
            Self::Rewrite => "rewrite",
            Self::Describe => "describe",
            Self::Brainstorm => "brainstorm",
            Self::Chat => "chat",
            Self::Outline => "outline",
            Self::Chapter => "chapter",
        }
    }

    /// Tools that work on the user's text and make no sense without it.
    pub fn needs_input(self) -> bool {
        matches!(self, Self::Continue | Self::Rewrite | Self::Describe)
    }
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Tool {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Self::Write,
            Self::Continue,
            Self::Rewrite,
            Self::Describe,
            Self::Brainstorm,
            Self::Chat,
            Self::Outline,
            Self::Chapter,
        ]
        .into_iter()
        .find(|tool| tool.as_str() == s)
        .ok_or_else(|| format!("unknown tool `{s}`"))
    }
}

/// How a rewrite changes the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Style {
    Clearer,
    MoreVivid,
    Shorter,
    Longer,
    Custom(String),
}

impl Style {
    /// The words a prompt template uses for the style.
    pub fn describe(&self) -> &str {
        match self {
            Self::Clearer => "clearer and easier to read",
            Self::MoreVivid => "more vivid, with concrete sensory detail",
            Self::Shorter => "shorter, keeping every important point",
            Self::Longer => "longer, adding detail and texture",
            Self::Custom(text) => text,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Clearer => "clearer",
            Self::MoreVivid => "more_vivid",
            Self::Shorter => "shorter",
            Self::Longer => "longer",
            Self::Custom(_) => "custom",
        }
    }
}

/// How long the result should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    Short,
    Medium,
    Long,
    Words(u32),
}

impl Length {
    /// The word target, capped by what the model may write in one go.
    pub fn words(self, model_max: u32) -> u32 {
        let words = match self {
            Self::Short => 150,
            Self::Medium => 400,
            Self::Long => 800,
            Self::Words(n) => n,
        };
        words.min(model_max).max(1)
    }
}

/// A request to a writing tool, every field checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolRequest {
    pub tool: Tool,
    pub input: String,
    pub instructions: String,
    pub style: Option<Style>,
    pub length: Length,
    pub tone: String,
}

/// The request as it arrived, before any rule was applied.
#[derive(Debug, Clone, Default)]
pub struct RawToolRequest<'a> {
    pub tool: &'a str,
    pub input: &'a str,
    pub instructions: &'a str,
    pub style: Option<&'a str>,
    pub custom_style: Option<&'a str>,
    pub length: Option<&'a str>,
    pub words: Option<i64>,
    pub tone: Option<&'a str>,
}

/// Longest `words` a request may name; models cap it further.
pub const MAX_REQUESTED_WORDS: i64 = 10_000;

impl ToolRequest {
    /// Every rule at once, so the client hears of every bad field in one answer. Input text
    /// is kept as written (it is the user's prose); only control characters other than tabs
    /// and line breaks are refused.
    pub fn parse(raw: &RawToolRequest<'_>) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::new();
        let tool = errors.check(
            raw.tool
                .parse::<Tool>()
                .ok()
                .filter(|tool| Tool::USER_TOOLS.contains(tool))
                .ok_or_else(|| {
                    FieldError::new(
                        "tool",
                        "unknown_tool",
                        "`tool` is one of write, continue, rewrite, describe, brainstorm.",
                    )
                }),
        );
        let input = errors.check(text_field("input", raw.input, MAX_INPUT_CHARS));
        let instructions = errors.check(text_field(
            "instructions",
            raw.instructions,
            MAX_INSTRUCTION_CHARS,
        ));
        let tone = errors.check(text_field(
            "tone",
            raw.tone.unwrap_or_default(),
            MAX_TONE_CHARS,
        ));
        let style = errors.check(parse_style(tool, raw.style, raw.custom_style));
        let length = errors.check(parse_length(raw.length, raw.words));
        if let (Some(tool), Some(input), Some(instructions)) = (tool, &input, &instructions) {
            if tool.needs_input() && input.trim().is_empty() {
                errors.push(FieldError::new(
                    "input",
                    "required",
                    format!("`{tool}` works on your text: send it as `input`."),
                ));
            } else if input.trim().is_empty() && instructions.trim().is_empty() {
                errors.push(FieldError::new(
                    "instructions",
                    "required",
                    "Say what to write: send `instructions` or `input`.",
                ));
            }
        }
        errors.finish()?;
        match (tool, input, instructions, style, length, tone) {
            (
                Some(tool),
                Some(input),
                Some(instructions),
                Some(style),
                Some(length),
                Some(tone),
            ) => Ok(Self {
                tool,
                input,
                instructions,
                style,
                length,
                tone: tone.trim().to_owned(),
            }),
            _ => Err(Vec::new()),
        }
    }
}

/// Text with at most `max` characters and no control characters but tabs and line breaks.
pub fn text_field(field: &'static str, value: &str, max: usize) -> Result<String, FieldError> {
    if value.chars().count() > max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("`{field}` may have at most {max} characters."),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(FieldError::new(
            field,
            "control_characters",
            format!("`{field}` contains control characters."),
        ));
    }
    Ok(value.replace("\r\n", "\n"))
}

fn parse_style(
    tool: Option<Tool>,
    style: Option<&str>,
    custom: Option<&str>,
) -> Result<Option<Style>, FieldError> {
    if tool != Some(Tool::Rewrite) {
        return Ok(None);
    }
    let style = match style.unwrap_or("clearer") {
        "clearer" => Style::Clearer,
        "more_vivid" => Style::MoreVivid,
        "shorter" => Style::Shorter,
        "longer" => Style::Longer,
        "custom" => {
            let text = text_field(
                "custom_style",
                custom.unwrap_or_default(),
                MAX_INSTRUCTION_CHARS,
            )?;
            if text.trim().is_empty() {
                return Err(FieldError::new(
                    "custom_style",
                    "required",
                    "A custom rewrite needs `custom_style`, e.g. \"as a sea shanty\".",
                ));
            }
            Style::Custom(text.trim().to_owned())
        }
        _ => {
            return Err(FieldError::new(
                "style",
                "unknown_style",
                "`style` is one of clearer, more_vivid, shorter, longer, custom.",
            ))
        }
    };
    Ok(Some(style))
}

fn parse_length(length: Option<&str>, words: Option<i64>) -> Result<Length, FieldError> {
    if let Some(words) = words {
        return match u32::try_from(words) {
            Ok(n) if n > 0 && i64::from(n) <= MAX_REQUESTED_WORDS => Ok(Length::Words(n)),
            _ => Err(FieldError::new(
                "words",
                "out_of_range",
                format!("`words` is between 1 and {MAX_REQUESTED_WORDS}."),
            )),
        };
    }
    match length.unwrap_or("medium") {
        "short" => Ok(Length::Short),
        "medium" => Ok(Length::Medium),
        "long" => Ok(Length::Long),
        _ => Err(FieldError::new(
            "length",
            "unknown_length",
            "`length` is short, medium or long (or send `words`).",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw<'a>(tool: &'a str, input: &'a str) -> RawToolRequest<'a> {
        RawToolRequest {
            tool,
            input,
            ..RawToolRequest::default()
        }
    }

    fn codes(result: Result<ToolRequest, Vec<FieldError>>) -> Vec<(String, &'static str)> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.field.into_owned(), e.code))
            .collect()
    }

    #[test]
    fn a_plain_request_parses_with_defaults() {
        let request = ToolRequest::parse(&raw("continue", "The door opened.")).unwrap();
        assert_eq!(request.tool, Tool::Continue);
        assert_eq!(request.length, Length::Medium);
        assert_eq!(request.style, None);
        let rewrite = ToolRequest::parse(&raw("rewrite", "Text.")).unwrap();
        assert_eq!(rewrite.style, Some(Style::Clearer));
    }

    #[test]
    fn every_bad_field_is_reported() {
        let huge = "x".repeat(MAX_INPUT_CHARS + 1);
        let bad = RawToolRequest {
            tool: "summon",
            input: &huge,
            instructions: "ok\u{0}",
            length: Some("epic"),
            ..RawToolRequest::default()
        };
        assert_eq!(
            codes(ToolRequest::parse(&bad)),
            [
                ("tool".to_owned(), "unknown_tool"),
                ("input".to_owned(), "too_long"),
                ("instructions".to_owned(), "control_characters"),
                ("length".to_owned(), "unknown_length"),
            ]
        );
        assert_eq!(
            codes(ToolRequest::parse(&raw("continue", "   "))),
            [("input".to_owned(), "required")]
        );
        assert_eq!(
            codes(ToolRequest::parse(&raw("write", ""))),
            [("instructions".to_owned(), "required")]
        );
        // Internal tools are not for the writing-tools endpoint.
        assert_eq!(
            codes(ToolRequest::parse(&raw("chat", "hi"))),
            [("tool".to_owned(), "unknown_tool")]
        );
    }

    #[test]
    fn styles_and_lengths() {
        let custom = RawToolRequest {
            style: Some("custom"),
            custom_style: Some(" as a pirate "),
            words: Some(90),
            ..raw("rewrite", "Hello there.")
        };
        let parsed = ToolRequest::parse(&custom).unwrap();
        assert_eq!(parsed.style, Some(Style::Custom("as a pirate".into())));
        assert_eq!(parsed.length.words(4000), 90);
        assert_eq!(Length::Long.words(300), 300);
        let empty_custom = RawToolRequest {
            style: Some("custom"),
            ..raw("rewrite", "Hello.")
        };
        assert_eq!(
            codes(ToolRequest::parse(&empty_custom)),
            [("custom_style".to_owned(), "required")]
        );
        for words in [0, -5, MAX_REQUESTED_WORDS + 1] {
            let request = RawToolRequest {
                words: Some(words),
                ..raw("write", "x")
            };
            assert_eq!(
                codes(ToolRequest::parse(&request)),
                [("words".to_owned(), "out_of_range")]
            );
        }
    }

    #[test]
    fn statuses_round_trip() {
        for status in ["running", "completed", "cancelled", "failed", "interrupted"] {
            assert_eq!(status.parse::<GenerationStatus>().unwrap().as_str(), status);
        }
        assert!("done".parse::<GenerationStatus>().is_err());
    }
}
