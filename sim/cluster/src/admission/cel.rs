//! `matchConditions` "where feasible": a small subset of CEL, enough for the conditions
//! admission webhooks commonly use: `&&`, `||`, `!`, parentheses, `==`, `!=`, `in` (map keys and
//! list elements), `has(path)`, string/int/bool/null literals, and field paths rooted at `object`,
//! `oldObject` and `request` (`a.b`, `a['b']`). Anything else is an evaluation error, which the
//! dispatcher treats under `failurePolicy` as the API server does for CEL errors (KEP-3716).

use serde_json::{Value, json};

use crate::util;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Dot,
    Not,
    And,
    Or,
    Eq,
    Ne,
    In,
    Has,
    Str(String),
    Num(i64),
    Ident(String),
}

fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let two: String = c[i..(i + 2).min(c.len())].iter().collect();
        match c[i] {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => (out.push(Tok::LParen), i += 1).1,
            ')' => (out.push(Tok::RParen), i += 1).1,
            '[' => (out.push(Tok::LBracket), i += 1).1,
            ']' => (out.push(Tok::RBracket), i += 1).1,
            '.' => (out.push(Tok::Dot), i += 1).1,
            _ if two == "&&" => (out.push(Tok::And), i += 2).1,
            _ if two == "||" => (out.push(Tok::Or), i += 2).1,
            _ if two == "==" => (out.push(Tok::Eq), i += 2).1,
            _ if two == "!=" => (out.push(Tok::Ne), i += 2).1,
            '!' => (out.push(Tok::Not), i += 1).1,
            q @ ('\'' | '"') => {
                let end = c[i + 1..]
                    .iter()
                    .position(|&x| x == q)
                    .ok_or("unterminated string")?;
                out.push(Tok::Str(c[i + 1..i + 1 + end].iter().collect()));
                i += end + 2;
            }
            d if d.is_ascii_digit() || d == '-' => {
                let end = c[i + 1..]
                    .iter()
                    .position(|x| !x.is_ascii_digit())
                    .map_or(c.len(), |p| i + 1 + p);
                let s: String = c[i..end].iter().collect();
                out.push(Tok::Num(s.parse().map_err(|_| format!("bad number {s}"))?));
                i = end;
            }
            a if a.is_ascii_alphabetic() || a == '_' => {
                let end = c[i..]
                    .iter()
                    .position(|x| !(x.is_ascii_alphanumeric() || *x == '_'))
                    .map_or(c.len(), |p| i + p);
                let w: String = c[i..end].iter().collect();
                out.push(match w.as_str() {
                    "in" => Tok::In,
                    "has" => Tok::Has,
                    _ => Tok::Ident(w),
                });
                i = end;
            }
            other => return Err(format!("unsupported character {other:?}")),
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    vars: &'a Value,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == Some(t) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn or(&mut self) -> Result<Value, String> {
        let mut v = self.and()?;
        while self.eat(&Tok::Or) {
            let r = self.and()?;
            v = json!(truth(&v)? || truth(&r)?);
        }
        Ok(v)
    }
    fn and(&mut self) -> Result<Value, String> {
        let mut v = self.unary()?;
        while self.eat(&Tok::And) {
            let r = self.unary()?;
            v = json!(truth(&v)? && truth(&r)?);
        }
        Ok(v)
    }
    fn unary(&mut self) -> Result<Value, String> {
        if self.eat(&Tok::Not) {
            return Ok(json!(!truth(&self.unary()?)?));
        }
        let l = self.primary()?;
        if self.eat(&Tok::Eq) {
            return Ok(json!(l == self.primary()?));
        }
        if self.eat(&Tok::Ne) {
            return Ok(json!(l != self.primary()?));
        }
        if self.eat(&Tok::In) {
            return match self.primary()? {
                Value::Object(m) => Ok(json!(l.as_str().is_some_and(|k| m.contains_key(k)))),
                Value::Array(a) => Ok(json!(a.contains(&l))),
                other => Err(format!("'in' needs a map or list, got {other}")),
            };
        }
        Ok(l)
    }
    /// A path; `lenient` (inside `has()`) turns a missing field into `None` instead of an error.
    fn path(&mut self, lenient: bool) -> Result<Option<Value>, String> {
        let Some(Tok::Ident(root)) = self.peek().cloned() else {
            return Err("expected a field path".into());
        };
        self.pos += 1;
        let mut cur = match root.as_str() {
            "true" => return Ok(Some(json!(true))),
            "false" => return Ok(Some(json!(false))),
            "null" => return Ok(Some(Value::Null)),
            r => self
                .vars
                .get(r)
                .cloned()
                .ok_or_else(|| format!("undeclared reference to '{r}'"))?,
        };
        loop {
            let key = if self.eat(&Tok::Dot) {
                match self.peek().cloned() {
                    Some(Tok::Ident(k)) => k,
                    _ => return Err("expected a field name".into()),
                }
            } else if self.eat(&Tok::LBracket) {
                match self.peek().cloned() {
                    Some(Tok::Str(k)) => {
                        self.pos += 1;
                        if !self.eat(&Tok::RBracket) {
                            return Err("expected ']'".into());
                        }
                        self.pos -= 1;
                        k
                    }
                    _ => return Err("only string map keys are supported".into()),
                }
            } else {
                return Ok(Some(cur));
            };
            self.pos += 1;
            match cur.get(&key) {
                Some(v) => cur = v.clone(),
                None if lenient => return Ok(None),
                None => return Err(format!("no such key: {key}")),
            }
        }
    }
    fn primary(&mut self) -> Result<Value, String> {
        match self.peek().cloned() {
            Some(Tok::LParen) => {
                self.pos += 1;
                let v = self.or()?;
                if !self.eat(&Tok::RParen) {
                    return Err("expected ')'".into());
                }
                Ok(v)
            }
            Some(Tok::Has) => {
                self.pos += 1;
                if !self.eat(&Tok::LParen) {
                    return Err("expected '(' after has".into());
                }
                let v = self.path(true)?;
                if !self.eat(&Tok::RParen) {
                    return Err("expected ')'".into());
                }
                Ok(json!(v.is_some()))
            }
            Some(Tok::Str(s)) => (self.pos += 1, Ok(json!(s))).1,
            Some(Tok::Num(n)) => (self.pos += 1, Ok(json!(n))).1,
            Some(Tok::Ident(_)) => Ok(self.path(false)?.unwrap_or(Value::Null)),
            other => Err(format!("unexpected token {other:?}")),
        }
    }
}

fn truth(v: &Value) -> Result<bool, String> {
    v.as_bool()
        .ok_or_else(|| format!("no such overload: expected bool, got {v}"))
}

/// Evaluate one expression against `object`, `oldObject` and `request`.
pub fn eval(expr: &str, vars: &Value) -> Result<bool, String> {
    let mut p = Parser {
        toks: lex(expr)?,
        pos: 0,
        vars,
    };
    let v = p.or()?;
    if p.pos != p.toks.len() {
        return Err(format!("unsupported expression {expr:?}"));
    }
    truth(&v)
}

/// All `matchConditions` of a webhook: false if any is false; an error only if none is false.
pub fn match_conditions(hook: &Value, obj: &Value, ns: &str) -> Result<bool, String> {
    let Some(conds) = hook
        .get("matchConditions")
        .and_then(Value::as_array)
        .filter(|c| !c.is_empty())
    else {
        return Ok(true);
    };
    let vars = json!({
        "object": obj, "oldObject": null,
        "request": {"namespace": ns, "operation": "CREATE", "name": util::str_at(obj, "metadata.name"),
            "kind": {"group": "", "version": "v1", "kind": "Pod"}, "resource": {"group": "", "version": "v1", "resource": "pods"}},
    });
    let mut first_err = None;
    for c in conds {
        match eval(util::str_at(c, "expression"), &vars) {
            Ok(false) => return Ok(false),
            Ok(true) => {}
            Err(e) => {
                first_err.get_or_insert(format!("{}: {e}", util::str_at(c, "name")));
            }
        }
    }
    first_err.map_or(Ok(true), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_match_conditions_evaluate() {
        let vars = json!({"object": {"metadata": {"labels": {"app": "web"}, "namespace": "shop"}}, "request": {"namespace": "shop"}});
        assert!(eval("request.namespace != 'kube-system'", &vars).unwrap());
        assert!(
            eval(
                "has(object.metadata.labels) && 'app' in object.metadata.labels",
                &vars
            )
            .unwrap()
        );
        assert!(!eval("!(object.metadata.labels['app'] == \"web\")", &vars).unwrap());
        assert!(!eval("has(object.metadata.annotations)", &vars).unwrap());
        assert!(eval("object.metadata.annotations['x'] == 'y'", &vars).is_err());
        assert!(eval("object.spec.containers.all(c, true)", &vars).is_err());
    }
}
