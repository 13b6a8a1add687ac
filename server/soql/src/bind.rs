//! Binding: validates a parsed query against the org's [`Schema`], resolves every name to its
//! describe casing, and converts literals to the types of the fields they are compared with
//! (so evaluation never re-parses a literal).

use crate::error::{self, CUSTOM_FIELD_HINT};
use crate::eval::Typed;
use crate::{
    Comparison, Condition, ErrorCode, FieldPath, FieldType, Literal, Operator, Query, Relationship,
    Schema, SoqlError,
};

/// Validates `query` against `schema`: `INVALID_TYPE` for an unknown object; `INVALID_FIELD`
/// for an unknown field or relationship (in SELECT, WHERE or ORDER BY) or a literal whose type
/// does not fit its field; `MALFORMED_QUERY` for a field selected twice. Names get their
/// describe casing.
pub fn bind(query: Query, schema: &dyn Schema) -> Result<Query, SoqlError> {
    let mut query = query;
    let Query {
        source,
        object,
        object_pos,
        fields,
        where_clause,
        order_by,
        ..
    } = &mut query;
    let src = source.as_str();
    let Some(resolved) = schema.object_name(object) else {
        let description = format!(
            "sObject type '{object}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
        );
        return Err(error::at(
            src,
            *object_pos,
            ErrorCode::InvalidType,
            &description,
        ));
    };
    *object = resolved;
    let object = object.as_str();

    let mut seen: Vec<String> = Vec::with_capacity(fields.len());
    for field in fields.iter_mut() {
        resolve(field, object, schema, src)?;
        let key = field.dotted().to_ascii_lowercase();
        if seen.contains(&key) {
            let description = format!("duplicate field selected: {}", field.dotted());
            return Err(error::malformed(src, field.pos, &description));
        }
        seen.push(key);
    }
    if let Some(condition) = where_clause {
        bind_condition(condition, object, schema, src)?;
    }
    for item in order_by.iter_mut() {
        resolve(&mut item.field, object, schema, src)?;
    }
    query.bound = true;
    Ok(query)
}

/// Resolves a field path from `object`: relationship hops, then the field.
fn resolve(
    field: &mut FieldPath,
    object: &str,
    schema: &dyn Schema,
    src: &str,
) -> Result<(), SoqlError> {
    let invalid =
        |description: String| error::at(src, field.pos, ErrorCode::InvalidField, &description);
    let Some((name, hops)) = field.path.split_last() else {
        return Err(invalid("unexpected empty field path".to_string()));
    };
    let mut current = object.to_string();
    let mut relationships = Vec::with_capacity(hops.len());
    for hop in hops {
        let Some((name, target, id_field)) = schema.relationship(&current, hop) else {
            return Err(invalid(format!(
                "Didn't understand relationship '{hop}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."
            )));
        };
        relationships.push(Relationship {
            name,
            object: target.clone(),
            id_field,
        });
        current = target;
    }
    let Some((resolved, field_type)) = schema.field(&current, name) else {
        return Err(invalid(format!(
            "No such column '{name}' on entity '{current}'. {CUSTOM_FIELD_HINT}"
        )));
    };
    field.path = relationships
        .iter()
        .map(|r| r.name.clone())
        .chain(std::iter::once(resolved))
        .collect();
    field.relationships = relationships;
    field.field_type = Some(field_type);
    Ok(())
}

fn bind_condition(
    condition: &mut Condition,
    object: &str,
    schema: &dyn Schema,
    src: &str,
) -> Result<(), SoqlError> {
    match condition {
        Condition::And(parts) | Condition::Or(parts) => {
            for part in parts {
                bind_condition(part, object, schema, src)?;
            }
            Ok(())
        }
        Condition::Not(inner) => bind_condition(inner, object, schema, src),
        Condition::Compare(comparison) => {
            resolve(&mut comparison.field, object, schema, src)?;
            let field_type = comparison.field.field_type.unwrap_or(FieldType::String);
            compile(comparison, field_type).map_err(|()| type_mismatch(comparison, field_type, src))
        }
    }
}

/// Salesforce's text for a literal of the wrong type.
fn type_mismatch(comparison: &Comparison, field_type: FieldType, src: &str) -> SoqlError {
    let (type_name, quoted) = match field_type {
        FieldType::Id | FieldType::Reference => ("id", true),
        FieldType::String => ("string", true),
        FieldType::Boolean => ("boolean", false),
        FieldType::Int => ("int", false),
        FieldType::Double => ("double", false),
        FieldType::Date => ("date", false),
        FieldType::DateTime => ("dateTime", false),
    };
    let description = format!(
        "value of filter criterion for field '{}' must be of type {type_name} and should {}be enclosed in quotes",
        comparison.field.dotted(),
        if quoted { "" } else { "not " }
    );
    error::at(
        src,
        comparison.field.pos,
        ErrorCode::InvalidField,
        &description,
    )
}

/// Converts the comparison's literals to `field_type`.
fn compile(comparison: &mut Comparison, field_type: FieldType) -> Result<(), ()> {
    let textual = matches!(
        field_type,
        FieldType::String | FieldType::Id | FieldType::Reference
    );
    if comparison.op == Operator::Like && !textual {
        return Err(());
    }
    comparison.typed = comparison
        .values
        .iter()
        .map(|literal| typed(literal, field_type))
        .collect::<Result<_, _>>()?;
    Ok(())
}

fn typed(literal: &Literal, field_type: FieldType) -> Result<Typed, ()> {
    Ok(match (field_type, literal) {
        (_, Literal::Null) => Typed::Null,
        (FieldType::String, Literal::String(s)) => Typed::Text(upper(s)),
        (FieldType::Id | FieldType::Reference, Literal::String(s)) => Typed::Id(s.clone()),
        (FieldType::Boolean, Literal::Boolean(b)) => Typed::Bool(*b),
        (FieldType::Int | FieldType::Double, Literal::Integer(i)) => Typed::Num(*i as f64),
        (FieldType::Double, Literal::Decimal(f)) => Typed::Num(*f),
        (FieldType::Date, Literal::Date(d)) => Typed::Date(crate::datetime::naive_date_days(d)),
        (FieldType::DateTime, Literal::DateTime(dt)) => Typed::DateTime(dt.timestamp_millis()),
        _ => return Err(()),
    })
}

fn upper(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_uppercase()
    } else {
        s.to_uppercase()
    }
}

/// Prepares an unbound query for evaluation without a schema: each compared field takes the
/// type of its literals (string, double, boolean, date or dateTime).
pub(crate) fn infer(mut query: Query) -> Query {
    if let Some(condition) = &mut query.where_clause {
        infer_condition(condition);
    }
    query
}

fn infer_condition(condition: &mut Condition) {
    match condition {
        Condition::And(parts) | Condition::Or(parts) => parts.iter_mut().for_each(infer_condition),
        Condition::Not(inner) => infer_condition(inner),
        Condition::Compare(comparison) => {
            let field_type = comparison.field.field_type.unwrap_or_else(|| {
                match comparison.values.iter().find(|l| **l != Literal::Null) {
                    Some(Literal::Boolean(_)) => FieldType::Boolean,
                    Some(Literal::Integer(_) | Literal::Decimal(_)) => FieldType::Double,
                    Some(Literal::Date(_)) => FieldType::Date,
                    Some(Literal::DateTime(_)) => FieldType::DateTime,
                    _ => FieldType::String,
                }
            });
            comparison.field.field_type = Some(field_type);
            if compile(comparison, field_type).is_err() {
                // Mixed literal types: keep what converts; the rest never match.
                comparison.typed = comparison
                    .values
                    .iter()
                    .filter_map(|l| typed(l, field_type).ok())
                    .collect();
            }
        }
    }
}
