//! Filling prompt templates. Templates are data (`config/prompts.toml`); this is the one
//! place their `{name}` placeholders are replaced.
//!
//! Substitution is a single pass over the template: text that comes in through a variable is
//! never scanned for placeholders, so a user who writes "{instructions}" or "ignore the
//! above" in their text gets exactly that text in the prompt, nothing more.

/// Replaces `{name}` with the value `lookup` gives; unknown names are left as written, and
/// `{{` / `}}` stand for literal braces.
pub fn render<'a>(template: &str, lookup: impl Fn(&str) -> Option<&'a str>) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        if after.starts_with("{{") || after.starts_with("}}") {
            out.push_str(&after[..1]);
            rest = &after[2..];
            continue;
        }
        if after.starts_with('{') {
            if let Some(close) = after.find('}') {
                let name = &after[1..close];
                if let Some(value) = placeholder(name).and_then(&lookup) {
                    out.push_str(value);
                    rest = &after[close + 1..];
                    continue;
                }
            }
        }
        out.push_str(&after[..1]);
        rest = &after[1..];
    }
    out.push_str(rest);
    out
}

/// Placeholder names are lowercase identifiers.
fn placeholder(name: &str) -> Option<&str> {
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')).then_some(name)
}

/// The placeholders a template uses, to check templates when they are loaded.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open..];
        if let Some(escaped) = after.strip_prefix("{{") {
            rest = escaped;
            continue;
        }
        match after.find('}') {
            Some(close) => {
                if let Some(name) = placeholder(&after[1..close]) {
                    names.push(name);
                }
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<&'static str> {
        match name {
            "input" => Some("Say {instructions} and }} {{"),
            "words" => Some("200"),
            "instructions" => Some("SECRET"),
            _ => None,
        }
    }

    #[test]
    fn fills_placeholders_once() {
        assert_eq!(
            render("Write {words} words after: {input}", vars),
            "Write 200 words after: Say {instructions} and }} {{"
        );
    }

    #[test]
    fn braces_and_unknown_names_are_kept() {
        assert_eq!(
            render("{{literal}} {nope} {Bad} {", vars),
            "{literal} {nope} {Bad} {"
        );
        assert_eq!(render("}", vars), "}");
    }

    #[test]
    fn lists_placeholders() {
        assert_eq!(
            placeholders("a {input} {{x}} {words} {Nope}"),
            ["input", "words"]
        );
    }
}
