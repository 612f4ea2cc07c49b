//! The workspace: storage meter, new project, search and sort, and each project's actions
//! (open, share, export, delete).

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use penora_api_types::{ChapterBody, CreateProjectRequest, ProjectSummary, StorageUsage};

use crate::api::{self, ApiError};
use crate::form::{on_answer, FormError, SignedIn};
use crate::ids::ProjectId;
use crate::session::Session;

pub const EXPORT_FORMATS: [(&str, &str); 5] = [
    ("pdf", "PDF"),
    ("docx", "DOCX"),
    ("epub", "EPUB"),
    ("txt", "TXT"),
    ("md", "Markdown"),
];

/// Bytes for people: `812 B`, `12.4 KB`, `1.0 MB`.
pub fn bytes(n: i64) -> String {
    match n {
        n if n < 1024 => format!("{n} B"),
        n if n < 1024 * 1024 => format!("{:.1} KB", n as f64 / 1024.0),
        n => format!("{:.1} MB", n as f64 / (1024.0 * 1024.0)),
    }
}

#[component]
pub fn Workspace() -> impl IntoView {
    view! {
        <SignedIn heading="Your projects" what="your projects">
            <ProjectList/>
        </SignedIn>
    }
}

/// The list's query: a page of 20 in `sort` order, matching `search`, from `cursor`.
fn list_query(sort: &str, search: &str, cursor: Option<&str>) -> String {
    let mut query = format!("limit=20&sort={sort}");
    if !search.trim().is_empty() {
        query.push_str(&format!(
            "&q={}",
            js_sys::encode_uri_component(search.trim())
        ));
    }
    if let Some(c) = cursor {
        query.push_str(&format!("&cursor={c}"));
    }
    query
}

#[component]
fn ProjectList() -> impl IntoView {
    let session = Session::get();
    let items = RwSignal::new(Vec::<ProjectSummary>::new());
    let next = RwSignal::new(None::<String>);
    let search = RwSignal::new(String::new());
    // The search as last submitted: the list follows it, not each keystroke.
    let searched = RwSignal::new(String::new());
    let sort = RwSignal::new("updated".to_owned());
    let error = RwSignal::new(None::<ApiError>);
    let reload = RwSignal::new(0u32);

    let first = LocalResource::new(move || {
        reload.track();
        let query = list_query(&sort.get(), &searched.get(), None);
        api::projects(session, query)
    });
    let usage = LocalResource::new(move || {
        reload.track();
        searched.track();
        api::storage(session)
    });
    let more = Action::new_local(move |cursor: &String| {
        let query = sort.with_untracked(|sort| {
            searched.with_untracked(|searched| list_query(sort, searched, Some(cursor)))
        });
        api::projects(session, query)
    });
    Effect::new(move |_| match first.get() {
        Some(Ok(page)) => {
            items.set(page.items);
            next.set(page.next_cursor);
        }
        Some(Err(err)) => error.set(Some(err)),
        None => {}
    });
    on_answer(more, error, move |page| {
        items.update(|all| all.extend(page.items));
        next.set(page.next_cursor);
    });
    let usage = Signal::derive(move || usage.get().and_then(Result::ok));

    view! {
        <section class="card">
            <h1>"Your projects"</h1>
            <StorageMeter usage=usage/>
            <NewProject/>
            <p class="new-story">
                <A href="/stories/new" attr:class="button" attr:data-testid="new-story">"New story"</A>
                <span class="muted">"The AI outlines it, then writes it chapter by chapter."</span>
            </p>
            <form class="toolbar" on:submit=move |ev| { ev.prevent_default(); searched.set(search.get_untracked()); }>
                <input type="search" placeholder="Search titles and text" aria-label="Search"
                    prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev))/>
                <select aria-label="Sort" on:change=move |ev| sort.set(event_target_value(&ev))>
                    <option value="updated">"Recently changed"</option>
                    <option value="created">"Newest"</option>
                    <option value="title">"Title"</option>
                </select>
                <button type="submit" class="secondary">"Search"</button>
            </form>
            <FormError error=error/>
            <Show when=move || items.with(Vec::is_empty)>
                <p class="muted">"No projects yet. Create one above."</p>
            </Show>
            <ul class="projects" data-testid="projects">
                <For each=move || items.get() key=|p| (p.id, p.version, p.share_code.clone()) let:project>
                    <ProjectRow project=project reload=reload/>
                </For>
            </ul>
            <Show when=move || next.with(Option::is_some)>
                <button class="secondary" on:click=move |_| { if let Some(cursor) = next.get_untracked() { more.dispatch(cursor); } }>"Load more"</button>
            </Show>
        </section>
    }
}

#[component]
fn StorageMeter(usage: Signal<Option<StorageUsage>>) -> impl IntoView {
    view! {
        {move || usage.get().map(|u| view! {
            <div class="meter" data-testid="storage">
                <progress max=u.quota.limit_bytes value=u.quota.used_bytes></progress>
                <span>{format!("{} of {} used", bytes(u.quota.used_bytes), bytes(u.quota.limit_bytes))}</span>
            </div>
        })}
    }
}

#[component]
fn NewProject() -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let title = RwSignal::new(String::new());
    let kind = RwSignal::new("document".to_owned());
    let error = RwSignal::new(None::<ApiError>);
    let create = Action::new_local(move |body: &CreateProjectRequest| {
        api::create_project(session, body.clone())
    });
    on_answer(create, error, move |project| {
        navigate(&format!("/projects/{}", project.id), Default::default())
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateProjectRequest {
            title: title.get_untracked(),
            kind: Some(kind.get_untracked()),
            chapters: vec![ChapterBody::default()],
            ..Default::default()
        });
    };
    view! {
        <form class="toolbar" on:submit=submit>
            <input name="title" placeholder="Title of a new project" aria-label="New project title"
                prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev))/>
            <select name="kind" aria-label="Kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                <option value="document">"Document"</option>
                <option value="story">"Story (chapters, by hand)"</option>
            </select>
            <button type="submit">"New project"</button>
        </form>
        <Show when=move || error.with(Option::is_some)>
            <p class="form-error" role="alert">{move || error.get().map(|e| e.message())}</p>
        </Show>
    }
}

#[component]
fn ProjectRow(project: ProjectSummary, reload: RwSignal<u32>) -> impl IntoView {
    let session = Session::get();
    let id = ProjectId::of(project.id);
    let code = RwSignal::new(project.share_code.clone());
    let notice = RwSignal::new(None::<String>);
    let report = move |result: Option<Result<(), ApiError>>| {
        if let Some(Err(err)) = result {
            notice.set(Some(err.message()));
        }
    };

    // Shares the project (the answer is its code), or stops sharing it.
    let share = Action::new_local({
        let id = id.clone();
        move |on: &bool| {
            let (id, on) = (id.clone(), *on);
            async move {
                if on {
                    api::share(session, id).await.map(|info| Some(info.code))
                } else {
                    api::unshare(session, id).await.map(|()| None)
                }
            }
        }
    });
    Effect::new(move |_| match share.value().get() {
        Some(Ok(shared)) => code.set(shared),
        Some(Err(err)) => notice.set(Some(err.message())),
        None => {}
    });
    let toggle_share = move |_| {
        share.dispatch(code.with_untracked(Option::is_none));
    };
    let remove = Action::new_local({
        let id = id.clone();
        move |_: &()| api::delete_project(session, id.clone())
    });
    Effect::new(move |_| {
        if let Some(result) = remove.value().get() {
            report(Some(result));
            reload.update(|n| *n += 1);
        }
    });
    let title = project.title.clone();
    let delete = move |_| {
        let confirmed = window()
            .confirm_with_message(&format!("Delete \"{title}\"? This cannot be undone."))
            .unwrap_or(false);
        if confirmed {
            remove.dispatch(());
        }
    };
    let download = Action::new_local({
        let id = id.clone();
        move |format: &&'static str| api::download_export(session, id.clone(), format)
    });
    Effect::new(move |_| report(download.value().get()));
    let export = move |format: &'static str| {
        download.dispatch(format);
    };

    // Stories open where they are outlined and written; documents in the editor.
    let href = if project.kind == "story" {
        format!("/stories/{id}")
    } else {
        format!("/projects/{id}")
    };

    view! {
        <li class="project" data-testid="project">
            <div class="project-head">
                <A href=href attr:class="project-title">{project.title.clone()}</A>
                <span class="muted">
                    {format!("{} · {} words · {} · changed {}", project.kind, project.word_count,
                        bytes(project.size_bytes), project.updated_at.format("%-d %b %Y %H:%M"))}
                </span>
            </div>
            <div class="actions">
                <button class="secondary" on:click=toggle_share>
                    {move || if code.with(Option::is_some) { "Stop sharing" } else { "Share" }}
                </button>
                {move || code.get().map(|c| view! {
                    <span class="share-code">"Code "<A href=format!("/s/{c}") attr:data-testid="share-code">{c.clone()}</A></span>
                })}
                <span class="exports">
                    {EXPORT_FORMATS.into_iter().map(|(format, label)| {
                        view! { <button class="link" on:click=move |_| export(format)>{label}</button> }
                    }).collect_view()}
                </span>
                <button class="danger" on:click=delete>"Delete"</button>
            </div>
            <p class="notice">{move || notice.get()}</p>
        </li>
    }
}
