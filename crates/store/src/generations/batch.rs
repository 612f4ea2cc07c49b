//! What opening and closing generations in batches on PostgreSQL share: the queued write and
//! the call of a batch statement. `open` and `close` use this module; it uses neither.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult, Statement, Value,
};
use uuid::Uuid;

use crate::group_commit::{in_layers, Layer};

/// A generation's write, queued for [`crate::group_commit::GroupCommit`].
pub(super) struct Queued {
    /// Its user: a batch changes each user's row once.
    pub user: Uuid,
    pub id: Uuid,
    /// Its object in the batch statement's JSON array `$1`.
    pub item: String,
    /// The parameters of the statement for a lone write, which reaches each row by its
    /// primary key with scalar parameters (faster than a batch of one).
    pub lone: Vec<Value>,
}

/// Runs a batch statement once per layer of the batch (in one transaction when there are
/// several, see [`in_layers`]): the rows of every layer.
pub(super) async fn query_batch(
    db: &DatabaseConnection,
    sql: &str,
    batch: &[&Queued],
) -> Result<Vec<QueryResult>, DbErr> {
    in_layers(&Sql(sql), db, batch, |q| q.user).await
}

/// A batch statement, run on one layer of a batch.
struct Sql<'a>(&'a str);

impl Layer for Sql<'_> {
    type Item = Queued;
    type Out = QueryResult;

    async fn write_layer<C: ConnectionTrait + Sync>(
        &self,
        db: &C,
        layer: &[&Queued],
    ) -> Result<Vec<QueryResult>, DbErr> {
        query_layer(db, self.0, layer).await
    }
}

/// Runs a batch statement on a layer (distinct users): `$1` the items as a JSON array, `$2`
/// their users' ids and `$3` theirs (both `uuid[]`). Every batch statement first locks its
/// users' rows in id order (see [`crate::group_commit`]); the ids let the planner reach the
/// other rows by primary key.
async fn query_layer(
    db: &impl ConnectionTrait,
    sql: &str,
    batch: &[&Queued],
) -> Result<Vec<QueryResult>, DbErr> {
    let items: Vec<&str> = batch.iter().map(|q| q.item.as_str()).collect();
    let array = |ids: Vec<Uuid>| {
        let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        Value::from(format!("{{{}}}", ids.join(",")))
    };
    let values = [
        Value::from(format!("[{}]", items.join(","))),
        array(batch.iter().map(|q| q.user).collect()),
        array(batch.iter().map(|q| q.id).collect()),
    ];
    db.query_all_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        values,
    ))
    .await
}

pub(super) fn stopped() -> DbErr {
    DbErr::Custom("the generation writer stopped".to_owned())
}
