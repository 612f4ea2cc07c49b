//! Reading Razorpay's looser JSON: `notes` as `[]`, counts as strings, flags as 0/1.

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;

use super::Notes;

/// Reads `notes`: an object, an empty array or null.
pub fn deserialize_notes<'de, D: Deserializer<'de>>(d: D) -> Result<Notes, D::Error> {
    struct NotesVisitor;

    impl<'de> Visitor<'de> for NotesVisitor {
        type Value = Notes;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object of notes, an empty array or null")
        }

        fn visit_unit<E: de::Error>(self) -> Result<Notes, E> {
            Ok(Notes::new())
        }

        fn visit_none<E: de::Error>(self) -> Result<Notes, E> {
            Ok(Notes::new())
        }

        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Notes, D2::Error> {
            d.deserialize_any(NotesVisitor)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Notes, A::Error> {
            match seq.next_element::<serde_json::Value>()? {
                None => Ok(Notes::new()),
                Some(_) => Err(de::Error::custom(
                    "notes: expected an object, got a non-empty array",
                )),
            }
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Notes, A::Error> {
            let mut notes = Notes::new();
            while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
                let text = match value {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                notes.insert(key, text);
            }
            Ok(notes)
        }
    }

    d.deserialize_any(NotesVisitor)
}

/// Reads a count Razorpay sends as a number or a numeric string (or null).
pub(crate) fn deserialize_lenient_count<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<i64>, D::Error> {
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| de::Error::custom("count: expected an integer")),
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(serde_json::Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| de::Error::custom("count: expected an integer string")),
        Some(_) => Err(de::Error::custom("count: expected a number or a string")),
    }
}

/// Reads a flag Razorpay sends as true/false, 1/0 or "1"/"0" (null is false).
pub(crate) fn deserialize_lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(false),
        Some(serde_json::Value::Bool(b)) => Ok(b),
        Some(serde_json::Value::Number(n)) => match n.as_i64() {
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            _ => Err(de::Error::custom("flag: expected 0 or 1")),
        },
        Some(serde_json::Value::String(s)) => match s.as_str() {
            "0" | "false" => Ok(false),
            "1" | "true" => Ok(true),
            _ => Err(de::Error::custom("flag: expected \"0\" or \"1\"")),
        },
        Some(_) => Err(de::Error::custom("flag: expected a boolean or 0/1")),
    }
}
