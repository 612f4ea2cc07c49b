//! Helpers for span fields. One request is one span tree: the server's request span, the
//! handler's span under it, the spans of the services it calls under that. Spans are
//! `skip_all` with explicit fields (user, key, project, generation, model ids): no secret,
//! password, token, prompt or body is ever a field.

/// An optional value as a span field: recorded when present, left out otherwise.
pub fn opt<T: std::fmt::Display>(value: Option<T>) -> Option<tracing::field::DisplayValue<T>> {
    value.map(tracing::field::display)
}

/// Records `value` as the field `name` of the current span, which declared it `Empty` because
/// the value was not known when the span opened (the chosen model, the generation's id).
pub fn record(name: &str, value: impl std::fmt::Display) {
    tracing::Span::current().record(name, tracing::field::display(value));
}
