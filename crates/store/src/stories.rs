//! Story settings and outlines, one row per story project (deleted with it).

use chrono::Utc;
use penora_domain::story::StorySettings;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use uuid::Uuid;

use crate::entities::story::{self, Column, Entity as Stories};

pub use crate::entities::story::Model as StoryRow;

pub async fn insert(
    txn: &impl ConnectionTrait,
    project: Uuid,
    settings: &StorySettings,
) -> Result<StoryRow, DbErr> {
    let now = Utc::now();
    story::ActiveModel {
        project_id: Set(project),
        tone: Set(settings.tone.clone()),
        chapter_count: Set(count_i32(settings.chapter_count)),
        words_per_chapter: Set(count_i32(settings.words_per_chapter)),
        outline: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await
}

pub async fn find(db: &impl ConnectionTrait, project: Uuid) -> Result<Option<StoryRow>, DbErr> {
    Stories::find_by_id(project).one(db).await
}

/// Changes the given settings and/or outline; `None` keeps a value.
pub async fn update(
    db: &impl ConnectionTrait,
    project: Uuid,
    settings: Option<&StorySettings>,
    outline: Option<&str>,
) -> Result<(), DbErr> {
    let mut update = Stories::update_many().col_expr(Column::UpdatedAt, Expr::value(Utc::now()));
    if let Some(settings) = settings {
        update = update
            .col_expr(Column::Tone, Expr::value(settings.tone.clone()))
            .col_expr(
                Column::ChapterCount,
                Expr::value(count_i32(settings.chapter_count)),
            )
            .col_expr(
                Column::WordsPerChapter,
                Expr::value(count_i32(settings.words_per_chapter)),
            );
    }
    if let Some(outline) = outline {
        update = update.col_expr(Column::Outline, Expr::value(outline));
    }
    update
        .filter(Column::ProjectId.eq(project))
        .exec(db)
        .await?;
    Ok(())
}

fn count_i32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}
