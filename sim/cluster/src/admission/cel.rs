//! `matchConditions` "where feasible": a small subset of CEL, enough for the conditions
//! admission webhooks commonly use: `&&`, `||`, `!`, parentheses, `==`, `!=`, `in` (map keys and
//! list elements), `has(path)`, string/int/bool/null literals, and field paths rooted at `object`,
//! `oldObject` and `request` (`a.b`, `a['b']`). Anything else is an evaluation error, which the
//! dispatcher treats under `failurePolicy` as the API server does for CEL errors (KEP-3716).
//!
//! Why not a CEL crate: the maintained Rust implementation (`cel-interpreter`) brings a parser
//! generator and a value model of its own (every object would be converted from `serde_json`),
//! a large build on two cores for the handful of expressions webhook configurations use; and
//! the API server's CEL environment (Kubernetes' extension libraries, cost limits) is not what
//! it implements either. This subset is small, tested, and refuses what it does not know.

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

/// The value of a subexpression, or its evaluation error. Errors are values, not aborts: CEL's
/// `||` and `&&` are commutative with respect to errors (`true || error` is `true`, `false &&
/// error` is `false`; cel-spec `langdef.md`, "Logical Operators"), which is what makes the usual
/// `!has(x) || x...` guard work. A parser method's own `Err` is a syntax error.
type Eval = Result<Value, String>;

/// `||` (`is_or`) or `&&` over two evaluated operands, absorbing an error when the other operand
/// decides the result.
fn logic(l: Eval, r: Eval, is_or: bool) -> Eval {
    let (l, r) = (l.and_then(|v| truth(&v)), r.and_then(|v| truth(&v)));
    match (l, r) {
        (Ok(a), _) if a == is_or => Ok(json!(is_or)),
        (_, Ok(b)) if b == is_or => Ok(json!(is_or)),
        (Ok(_), Ok(_)) => Ok(json!(!is_or)),
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

fn both(l: Eval, r: Eval) -> Result<(Value, Value), String> {
    Ok((l?, r?))
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
    fn or(&mut self) -> Result<Eval, String> {
        let mut v = self.and()?;
        while self.eat(&Tok::Or) {
            let r = self.and()?;
            v = logic(v, r, true);
        }
        Ok(v)
    }
    fn and(&mut self) -> Result<Eval, String> {
        let mut v = self.unary()?;
        while self.eat(&Tok::And) {
            let r = self.unary()?;
            v = logic(v, r, false);
        }
        Ok(v)
    }
    fn unary(&mut self) -> Result<Eval, String> {
        if self.eat(&Tok::Not) {
            return Ok(self.unary()?.and_then(|v| truth(&v)).map(|b| json!(!b)));
        }
        let l = self.primary()?;
        if self.eat(&Tok::Eq) {
            return Ok(both(l, self.primary()?).map(|(a, b)| json!(a == b)));
        }
        if self.eat(&Tok::Ne) {
            return Ok(both(l, self.primary()?).map(|(a, b)| json!(a != b)));
        }
        if self.eat(&Tok::In) {
            return Ok(both(l, self.primary()?).and_then(|(l, r)| match r {
                Value::Object(m) => Ok(json!(l.as_str().is_some_and(|k| m.contains_key(k)))),
                Value::Array(a) => Ok(json!(a.contains(&l))),
                other => Err(format!("'in' needs a map or list, got {other}")),
            }));
        }
        Ok(l)
    }
    /// A path; `lenient` (inside `has()`) turns a missing field into `None` instead of an error.
    /// A missing field does not stop the parse: the rest of the path is still consumed.
    fn path(&mut self, lenient: bool) -> Result<Result<Option<Value>, String>, String> {
        let Some(Tok::Ident(root)) = self.peek().cloned() else {
            return Err("expected a field path".into());
        };
        self.pos += 1;
        let mut cur = match root.as_str() {
            "true" => return Ok(Ok(Some(json!(true)))),
            "false" => return Ok(Ok(Some(json!(false)))),
            "null" => return Ok(Ok(Some(Value::Null))),
            r => self
                .vars
                .get(r)
                .cloned()
                .map(Some)
                .ok_or_else(|| format!("undeclared reference to '{r}'")),
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
                return Ok(cur);
            };
            self.pos += 1;
            cur = match cur {
                Ok(Some(v)) => match v.get(&key) {
                    Some(next) => Ok(Some(next.clone())),
                    None if lenient => Ok(None),
                    None => Err(format!("no such key: {key}")),
                },
                done => done,
            };
        }
    }
    fn primary(&mut self) -> Result<Eval, String> {
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
                Ok(v.map(|v| json!(v.is_some())))
            }
            Some(Tok::Str(s)) => (self.pos += 1, Ok(Ok(json!(s)))).1,
            Some(Tok::Num(n)) => (self.pos += 1, Ok(Ok(json!(n)))).1,
            Some(Tok::Ident(_)) => Ok(self.path(false)?.map(|v| v.unwrap_or(Value::Null))),
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
    truth(&v?)
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

    #[test]
    fn logical_operators_absorb_errors_the_other_side_decides() {
        // deploy/'s guard on a pod without annotations: the right side is an error, the left
        // side decides (cel-spec: `true || error` is `true`).
        let guard = "!has(object.metadata.annotations) || \
            !('rightsize.dev/mode' in object.metadata.annotations) || \
            object.metadata.annotations['rightsize.dev/mode'] != 'off'";
        let bare = json!({"object": {"metadata": {}}});
        assert!(eval(guard, &bare).unwrap());
        let off = json!({"object": {"metadata": {"annotations": {"rightsize.dev/mode": "off"}}}});
        assert!(!eval(guard, &off).unwrap());
        let other = json!({"object": {"metadata": {"annotations": {"a": "b"}}}});
        assert!(eval(guard, &other).unwrap());
        // Either order, and && likewise; an error nothing decides stays an error.
        assert!(eval("object.metadata.x == 'y' || true", &bare).unwrap());
        assert!(!eval("false && object.metadata.x == 'y'", &bare).unwrap());
        assert!(eval("object.metadata.x == 'y' || false", &bare).is_err());
        assert!(eval("true && object.metadata.x == 'y'", &bare).is_err());
    }
}
