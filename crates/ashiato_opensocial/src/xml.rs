//! A small XML writer for the REST `format=xml` and `format=atom` envelopes: escaping, element
//! names checked, characters XML 1.0 forbids dropped.

use serde_json::Value;

/// Appends `text` escaped for element content (`&`, `<`, `>`), dropping characters XML 1.0
/// cannot carry (C0 controls other than TAB, LF, CR; U+FFFE, U+FFFF).
pub fn escape_text_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if allowed_char(c) => out.push(c),
            _ => {}
        }
    }
}

/// Appends `text` escaped for a double-quoted attribute value.
pub fn escape_attr_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if allowed_char(c) => out.push(c),
            _ => {}
        }
    }
}

fn allowed_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Whether `name` is usable as an element name (ASCII letters, digits, `_`, `-`, `.`; not
/// starting with a digit, `-`, `.` or `xml`).
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else { return false };
    (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !name.to_ascii_lowercase().starts_with("xml")
}

/// Builds XML text.
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
}

impl XmlWriter {
    /// A writer starting with the XML declaration.
    pub fn new() -> Self {
        Self { out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") }
    }

    /// Opens `<name attr="v"…>` (names are trusted constants).
    pub fn open(&mut self, name: &str, attrs: &[(&str, &str)]) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            escape_attr_into(v, &mut self.out);
            self.out.push('"');
        }
        self.out.push('>');
        self
    }

    /// Closes `</name>`.
    pub fn close(&mut self, name: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// Escaped text.
    pub fn text(&mut self, text: &str) -> &mut Self {
        escape_text_into(text, &mut self.out);
        self
    }

    /// `<name>text</name>`.
    pub fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name, &[]).text(text).close(name)
    }

    /// A JSON value as child elements of the current element: object members become elements
    /// named after their keys (keys that are not valid names are skipped), arrays repeat the
    /// element, scalars become text.
    pub fn json_children(&mut self, v: &Value) -> &mut Self {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    if !valid_name(k) {
                        continue;
                    }
                    match v {
                        Value::Array(items) => {
                            for item in items {
                                self.open(k, &[]).json_children(item).close(k);
                            }
                        }
                        Value::Null => {}
                        other => {
                            self.open(k, &[]).json_children(other).close(k);
                        }
                    }
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.open("value", &[]).json_children(item).close("value");
                }
            }
            Value::String(s) => {
                self.text(s);
            }
            Value::Number(n) => {
                self.text(&n.to_string());
            }
            Value::Bool(b) => {
                self.text(if *b { "true" } else { "false" });
            }
            Value::Null => {}
        }
        self
    }

    /// The text written so far.
    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_names() {
        let mut s = String::new();
        escape_text_into("a<b>&\"c\u{1}\u{FFFE}😀", &mut s);
        assert_eq!(s, "a&lt;b&gt;&amp;\"c😀");
        let mut s = String::new();
        escape_attr_into("\"x\"\n<", &mut s);
        assert_eq!(s, "&quot;x&quot;&#10;&lt;");
        assert!(valid_name("displayName") && valid_name("_x") && valid_name("a-b.c"));
        assert!(
            !valid_name("1a")
                && !valid_name("a b")
                && !valid_name("")
                && !valid_name("xmlns")
                && !valid_name("a<")
        );
    }

    #[test]
    fn json_becomes_elements() {
        let mut w = XmlWriter::new();
        w.open("person", &[])
            .json_children(&serde_json::json!({
                "id": "x", "emails": [{"value": "a@b", "type": "work"}, {"value": "c@d"}],
                "age": 3, "hasApp": true, "bad key": 1, "none": null, "name": {"formatted": "A & B"}
            }))
            .close("person");
        let xml = w.finish();
        assert!(xml.ends_with(
            "<person><age>3</age><emails><type>work</type><value>a@b</value></emails><emails><value>c@d</value></emails><hasApp>true</hasApp><id>x</id><name><formatted>A &amp; B</formatted></name></person>"
        ), "{xml}");
    }
}
