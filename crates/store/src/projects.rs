//! Projects. Chapters are stored as one JSON document per project: a project is read and
//! written whole, and every write is a compare-and-set on `version` (optimistic
//! concurrency), so chapter edits never interleave.

use chrono::{DateTime, Utc};
use penora_domain::{Chapter, ProjectContent, ProjectId, ProjectMeta, ProjectTitle, UserId};
use sea_orm::sea_query::{Expr, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::entities::project::{self, Column, Entity as Projects};
use crate::text::AsText;
use crate::Page;
use crate::WriteError;

pub use crate::entities::project::Model as ProjectRow;

/// Reads the stored content back into the domain type.
pub fn content_of(row: &ProjectRow) -> Result<ProjectContent, DbErr> {
    let corrupt = |what: String| DbErr::Custom(format!("project {}: {what}", row.id));
    let chapters: Vec<Chapter> =
        serde_json::from_str(&row.chapters).map_err(|e| corrupt(e.to_string()))?;
    let title = ProjectTitle::from_stored(row.title.clone());
    let kind = *row.kind;
    let meta = ProjectMeta {
        genre: row.genre.clone(),
        premise: row.premise.clone(),
        model: row.model.clone(),
    };
    ProjectContent::new(title, kind, chapters, meta).map_err(|e| corrupt(e.message))
}

fn chapters_json(content: &ProjectContent) -> Result<String, DbErr> {
    serde_json::to_string(content.chapters()).map_err(|e| DbErr::Custom(e.to_string()))
}

fn set_content(row: &mut project::ActiveModel, content: &ProjectContent) -> Result<(), DbErr> {
    row.title = Set(content.title.as_str().to_owned());
    row.kind = Set(AsText(content.kind));
    row.chapters = Set(chapters_json(content)?);
    row.chapter_count = Set(i32::try_from(content.chapters().len()).unwrap_or(i32::MAX));
    row.word_count = Set(content.word_count());
    row.genre = Set(content.genre.clone());
    row.premise = Set(content.premise.clone());
    row.model = Set(content.model.clone());
    row.size_bytes = Set(content.size_bytes());
    Ok(())
}

pub async fn insert(
    txn: &impl ConnectionTrait,
    user: UserId,
    content: &ProjectContent,
) -> Result<ProjectRow, DbErr> {
    let now = Utc::now();
    let mut row = project::ActiveModel {
        id: Set(ProjectId::new().as_uuid()),
        user_id: Set(user.as_uuid()),
        version: Set(1),
        share_code: Set(None),
        share_expires_at: Set(None),
        share_views: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    set_content(&mut row, content)?;
    row.insert(txn).await
}

/// The user's project, or `None` when it does not exist or belongs to someone else.
pub async fn find_owned(
    db: &impl ConnectionTrait,
    user: UserId,
    id: ProjectId,
) -> Result<Option<ProjectRow>, DbErr> {
    Projects::find_by_id(id.as_uuid())
        .filter(Column::UserId.eq(user.as_uuid()))
        .one(db)
        .await
}

/// Replaces the content if the stored version is still `expected`; `None` when it is not
/// (someone else wrote first) or the project is gone.
pub async fn update(
    txn: &impl ConnectionTrait,
    user: UserId,
    id: ProjectId,
    expected: i64,
    content: &ProjectContent,
) -> Result<Option<ProjectRow>, DbErr> {
    let mut row = project::ActiveModel {
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    set_content(&mut row, content)?;
    let updated = Projects::update_many()
        .set(row)
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .filter(Column::Id.eq(id.as_uuid()))
        .filter(Column::UserId.eq(user.as_uuid()))
        .filter(Column::Version.eq(expected))
        .exec_with_returning(txn)
        .await?;
    Ok(updated.into_iter().next())
}

/// Deletes the project (if `expected` is given, only at that version); returns the row as
/// it was when deleted. One statement with `RETURNING`: a concurrent edit that committed
/// first is what gets deleted, so its size is the size freed (a row read beforehand could
/// be a version older).
pub async fn delete(
    txn: &impl ConnectionTrait,
    user: UserId,
    id: ProjectId,
    expected: Option<i64>,
) -> Result<Option<ProjectRow>, DbErr> {
    let mut delete = Projects::delete_many()
        .filter(Column::Id.eq(id.as_uuid()))
        .filter(Column::UserId.eq(user.as_uuid()));
    if let Some(version) = expected {
        delete = delete.filter(Column::Version.eq(version));
    }
    Ok(delete.exec_with_returning(txn).await?.into_iter().next())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Most recently changed first.
    #[default]
    Updated,
    /// Newest first.
    Created,
    /// A to Z.
    Title,
}

/// Where the previous page ended, for the list's sort. Serialisable so the API can hand it
/// out as an opaque cursor.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum After {
    Updated(DateTime<Utc>, Uuid),
    Created(Uuid),
    Title(String, Uuid),
}

impl After {
    pub fn sort(&self) -> Sort {
        match self {
            After::Updated(..) => Sort::Updated,
            After::Created(_) => Sort::Created,
            After::Title(..) => Sort::Title,
        }
    }

    /// The position of `row` in a list sorted by `sort`.
    pub fn of(row: &ProjectRow, sort: Sort) -> Self {
        match sort {
            Sort::Updated => After::Updated(row.updated_at, row.id),
            Sort::Created => After::Created(row.id),
            Sort::Title => After::Title(row.title.clone(), row.id),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub sort: Sort,
    pub after: Option<After>,
    /// Case-insensitive (ASCII) substring of the title or the text.
    pub search: Option<String>,
    pub limit: u64,
}

/// One page of `query.limit` of the user's projects.
pub async fn list(
    db: &impl ConnectionTrait,
    user: UserId,
    query: &ListQuery,
) -> Result<Page<ProjectRow>, DbErr> {
    let mut select = Projects::find().filter(Column::UserId.eq(user.as_uuid()));
    if let Some(search) = query.search.as_deref() {
        let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
        let like = |col: Column| {
            Expr::expr(Func::lower(Expr::col(col)))
                .like(LikeExpr::new(pattern.clone()).escape('\\'))
        };
        select = select.filter(
            Condition::any()
                .add(like(Column::Title))
                .add(like(Column::Chapters)),
        );
    }
    select = match &query.after {
        Some(After::Updated(at, id)) => select.filter(
            Condition::any()
                .add(Column::UpdatedAt.lt(*at))
                .add(Column::UpdatedAt.eq(*at).and(Column::Id.lt(*id))),
        ),
        Some(After::Created(id)) => select.filter(Column::Id.lt(*id)),
        Some(After::Title(title, id)) => select.filter(
            Condition::any()
                .add(Column::Title.gt(title.as_str()))
                .add(Column::Title.eq(title.as_str()).and(Column::Id.gt(*id))),
        ),
        None => select,
    };
    select = match query.sort {
        Sort::Updated => select
            .order_by_desc(Column::UpdatedAt)
            .order_by_desc(Column::Id),
        Sort::Created => select.order_by_desc(Column::Id),
        Sort::Title => select.order_by_asc(Column::Title).order_by_asc(Column::Id),
    };
    let rows = select
        .limit(Page::<ProjectRow>::fetch_limit(query.limit))
        .all(db)
        .await?;
    Ok(Page::of(rows, query.limit))
}

fn escape_like(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A project's id, title and size: what the storage report lists.
#[derive(Debug, Clone, PartialEq, Eq, sea_orm::FromQueryResult)]
pub struct SizeRow {
    pub id: Uuid,
    pub title: String,
    pub size_bytes: i64,
}

/// One page of `limit` of the user's projects by size, largest first (ties by id), after the
/// project of size and id `after`. Reads only the three columns, never the chapters.
pub async fn sizes(
    db: &impl ConnectionTrait,
    user: UserId,
    after: Option<(i64, Uuid)>,
    limit: u64,
) -> Result<Page<SizeRow>, DbErr> {
    let mut select = Projects::find()
        .select_only()
        .columns([Column::Id, Column::Title, Column::SizeBytes])
        .filter(Column::UserId.eq(user.as_uuid()));
    if let Some((size, id)) = after {
        select = select.filter(
            Condition::any()
                .add(Column::SizeBytes.lt(size))
                .add(Column::SizeBytes.eq(size).and(Column::Id.gt(id))),
        );
    }
    let rows = select
        .order_by_desc(Column::SizeBytes)
        .order_by_asc(Column::Id)
        .limit(Page::<SizeRow>::fetch_limit(limit))
        .into_model::<SizeRow>()
        .all(db)
        .await?;
    Ok(Page::of(rows, limit))
}

/// Gives the project a share code (replacing any other). A `UniqueConstraintViolation`
/// means the code is taken: draw another.
pub async fn set_share(
    db: &impl ConnectionTrait,
    user: UserId,
    id: ProjectId,
    code: &str,
    expires_at: Option<DateTime<Utc>>,
) -> Result<Option<ProjectRow>, WriteError> {
    let updated = Projects::update_many()
        .col_expr(Column::ShareCode, Expr::value(code))
        .col_expr(Column::ShareExpiresAt, Expr::value(expires_at))
        .col_expr(Column::ShareViews, Expr::value(0))
        .filter(Column::Id.eq(id.as_uuid()))
        .filter(Column::UserId.eq(user.as_uuid()))
        .exec_with_returning(db)
        .await
        .map_err(WriteError::of)?;
    Ok(updated.into_iter().next())
}

/// Revokes the project's code; false when the project is not the user's.
pub async fn clear_share(
    db: &impl ConnectionTrait,
    user: UserId,
    id: ProjectId,
) -> Result<bool, DbErr> {
    let result = Projects::update_many()
        .col_expr(Column::ShareCode, Expr::value(Option::<String>::None))
        .col_expr(
            Column::ShareExpiresAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(Column::Id.eq(id.as_uuid()))
        .filter(Column::UserId.eq(user.as_uuid()))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The project behind a live (not revoked, not expired) code.
pub async fn find_shared(
    db: &impl ConnectionTrait,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Option<ProjectRow>, DbErr> {
    Projects::find()
        .filter(Column::ShareCode.eq(code))
        .filter(
            Condition::any()
                .add(Column::ShareExpiresAt.is_null())
                .add(Column::ShareExpiresAt.gt(now)),
        )
        .one(db)
        .await
}

/// Adds `views` views to a shared project (one statement, an increment: concurrent adds
/// from several replicas all count).
pub async fn add_views(db: &impl ConnectionTrait, id: Uuid, views: i64) -> Result<(), DbErr> {
    Projects::update_many()
        .col_expr(Column::ShareViews, Expr::col(Column::ShareViews).add(views))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
