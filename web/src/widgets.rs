//! Inputs that stay editable while the page re-renders with every frame of the run.
//!
//! Yew keeps an input's `value` equal to what the view says, so a field whose value comes
//! from the simulation would snap back under the user's fingers on the next frame. A
//! [`DraftInput`] shows what the user is typing (its draft) until they commit it (the `change`
//! event: Enter, Tab, leaving the field, releasing a slider), then hands the text to
//! `on_commit` and keeps showing it until the view's value moves (the change comes back with
//! the run's next frame), so the field never flicks back to the old value in between. A value
//! refused at once stays in the field beside its message until the user edits it.
//!
//! Also the shapes the views repeat, each drawn by one function rather than by an `html!` tree
//! written out at every use: [`removable_line`], one entry of a list the scenario holds, with
//! its *remove* button; [`text_element`] and [`identified_text`], an element that holds only
//! text; [`container`], [`identified_container`] and [`panel`], plain wrappers; [`button`], a plain button; [`select_field`], a
//! labelled drop-down; and [`svg_text`], [`svg_line`] and [`svg_rect`], the labels, lines and
//! bars of every drawing.

use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DraftInputProps {
    pub id: AttrValue,
    /// The value the view holds (shown whenever the user is not editing).
    pub value: AttrValue,
    /// Called with the text when the user commits an edit.
    pub on_commit: Callback<String>,
    #[prop_or(AttrValue::Static("text"))]
    pub kind: AttrValue,
    #[prop_or_default]
    pub min: Option<AttrValue>,
    #[prop_or_default]
    pub max: Option<AttrValue>,
    #[prop_or_default]
    pub step: Option<AttrValue>,
    #[prop_or_default]
    pub placeholder: Option<AttrValue>,
    #[prop_or_default]
    pub inputmode: Option<AttrValue>,
    #[prop_or_default]
    pub aria_valuetext: Option<AttrValue>,
    #[prop_or_default]
    pub disabled: bool,
}

/// What a [`DraftInput`] shows instead of the view's value.
struct Draft {
    text: String,
    /// Once committed, the view's value the text replaced: the draft gives way when the
    /// view's value is another.
    over: Option<AttrValue>,
}

#[function_component(DraftInput)]
pub fn draft_input(props: &DraftInputProps) -> Html {
    // A cell, not a state: the field itself already shows what is typed, so neither a key
    // nor a commit needs a render of its own; the draft only matters to the renders the
    // frames bring.
    let draft = use_mut_ref(Option::<Draft>::default);
    let on_input = {
        let draft = draft.clone();
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            *draft.borrow_mut() = Some(Draft {
                text: input.value(),
                over: None,
            });
        })
    };
    let on_change = {
        let draft = draft.clone();
        let on_commit = props.on_commit.clone();
        let shown = props.value.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            *draft.borrow_mut() = Some(Draft {
                text: input.value(),
                over: Some(shown.clone()),
            });
            on_commit.emit(input.value());
        })
    };
    let value = {
        let mut draft = draft.borrow_mut();
        if draft
            .as_ref()
            .and_then(|d| d.over.as_ref())
            .is_some_and(|over| *over != props.value)
        {
            *draft = None;
        }
        draft
            .as_ref()
            .map_or_else(|| props.value.clone(), |d| AttrValue::from(d.text.clone()))
    };
    html! {
        <input id={props.id.clone()} type={props.kind.clone()} value={value}
               min={props.min.clone()} max={props.max.clone()} step={props.step.clone()}
               placeholder={props.placeholder.clone()} inputmode={props.inputmode.clone()}
               aria-valuetext={props.aria_valuetext.clone()}
               oninput={on_input} onchange={on_change} disabled={props.disabled} />
    }
}

/// One figure of a panel's row of stats: its value, large, over its label.
pub fn stat(id: &'static str, value: String, label: &'static str) -> Html {
    container(
        "div",
        "stat",
        html! { <>
            { identified_text("span", id, "value", value.into()) }
            { text_element("span", "label", label.into()) }
        </> },
    )
}

/// The classes `first` and `second`, in that order: one function for the class lists of a fixed
/// class and one chosen at run time (a cause's, a fault's, a line's kind), not a `classes!` built
/// inline at each.
#[inline(never)]
pub fn class_pair(first: &'static str, second: &str) -> Classes {
    classes!(first, second.to_string())
}

/// A `<select>`'s options, `(value, text)` each, the one whose value is `chosen` selected: one
/// loop for every select of the page, not a fold of its own per select.
pub fn select_options(choices: &[(&'static str, &'static str)], chosen: &str) -> Html {
    choices
        .iter()
        .map(|(value, text)| html! { <option value={*value} selected={*value == chosen}>{ *text }</option> })
        .collect()
}

/// An element `tag` that holds only `text`, with the classes in `class` (none when empty): one
/// function for the views' headings, hints, captions, field labels, units and list lines, not
/// each one's `html!` written out (every such tree built its node and text inline).
#[inline(never)]
pub fn text_element(tag: &'static str, class: &'static str, text: AttrValue) -> Html {
    element(tag, None, class, Html::from(text))
}

/// An element `tag` with the classes in `class` (none when empty) around `children`: one
/// function for the views' plain wrappers (panels, rows of buttons, groups of a drawing, fields),
/// not each one's node written out.
#[inline(never)]
pub fn container(tag: &'static str, class: &'static str, children: Html) -> Html {
    element(tag, None, class, children)
}

/// A panel of the page: a `<section>` with the classes in `class` and the accessible name
/// `label` (`aria-label`) around `children`.
#[inline(never)]
pub fn panel(class: &'static str, label: &'static str, children: Html) -> Html {
    html! { <section class={class} aria-label={label}>{ children }</section> }
}

/// [`container`] with the id `id`, for the wrappers the page and its tests find by id.
#[inline(never)]
pub fn identified_container(
    tag: &'static str,
    id: &'static str,
    class: &'static str,
    children: Html,
) -> Html {
    element(tag, Some(id), class, children)
}

/// An element `tag` with the id `id` that holds only `text`, with the classes in `class` (none
/// when empty): [`text_element`] for the read-outs and messages the page and its tests find by
/// id.
#[inline(never)]
pub fn identified_text(
    tag: &'static str,
    id: &'static str,
    class: &'static str,
    text: AttrValue,
) -> Html {
    element(tag, Some(id), class, Html::from(text))
}

/// The element `tag` with the id `id` (none when `None`) and the classes in `class` (none when
/// empty) around `children`: the one node behind [`text_element`], [`container`],
/// [`identified_container`] and [`identified_text`], so the tag chosen at run time goes through
/// Yew's checks for `input` and `textarea` in one place rather than in each of them.
#[inline(never)]
fn element(
    tag: &'static str,
    id: Option<&'static str>,
    class: &'static str,
    children: Html,
) -> Html {
    html! { <@{tag} id={id} class={class}>{ children }</@> }
}

/// A `<button>` with the id `id` and the classes in `class` (none when empty) that shows
/// `text`, sends `on_click` when pressed and is disabled when `disabled`: one function for the
/// page's plain buttons, not each one's `html!` (its node, listener and text) written out.
#[inline(never)]
pub fn button(
    id: &'static str,
    class: &'static str,
    text: AttrValue,
    on_click: Callback<MouseEvent>,
    disabled: bool,
) -> Html {
    html! {
        <button id={(!id.is_empty()).then_some(id)} class={class} onclick={on_click} disabled={disabled}>{ text }</button>
    }
}

/// An SVG `<text>` at (`x`, `y`) in the drawing's units, written with one decimal as every
/// coordinate of the page is, anchored at `anchor` (`None`: the SVG default, `start`), with the
/// classes in `class` (none when empty). One function for the drawings' labels, not each
/// label's `html!` written out: every such tree built its attributes, node and text inline.
#[inline(never)]
pub fn svg_text(
    x: f64,
    y: f64,
    anchor: Option<&'static str>,
    class: &'static str,
    text: AttrValue,
) -> Html {
    html! {
        <text x={crate::format::px(x)} y={crate::format::px(y)} text-anchor={anchor} class={class}>{ text }</text>
    }
}

/// An SVG `<line>` from (`x1`, `y1`) to (`x2`, `y2`), written with one decimal, with the
/// classes in `class` (none when empty): one function for the drawings' axes, grid lines,
/// tracks and markers, as [`svg_text`] is for their labels.
#[inline(never)]
pub fn svg_line(x1: f64, y1: f64, x2: f64, y2: f64, class: &'static str) -> Html {
    use crate::format::px;
    html! { <line x1={px(x1)} y1={px(y1)} x2={px(x2)} y2={px(y2)} class={class} /> }
}

/// An SVG `<rect>` at (`x`, `y`), `width` by `height`, written with one decimal, with the
/// classes in `class` (none when empty) and, when given, a `<title>` (its tooltip): one
/// function for the drawings' bars, boxes and plot areas, as [`svg_text`] is for their labels.
#[inline(never)]
pub fn svg_rect(
    x: f64,
    y: f64,
    width: f64,
    height: f64,
    class: &'static str,
    title: Option<AttrValue>,
) -> Html {
    use crate::format::px;
    html! {
        <rect x={px(x)} y={px(y)} width={px(width)} height={px(height)} class={class}>
            if let Some(title) = title {
                <title>{ title }</title>
            }
        </rect>
    }
}

/// A labelled drop-down: `label` beside a `<select>` with the id `id` of `choices` (as
/// [`select_options`] draws them, `chosen` selected) that sends `on_change` and is disabled
/// when `disabled`, and `after` under it (the field's error, or nothing).
#[inline(never)]
pub fn select_field(
    label: &'static str,
    id: &'static str,
    choices: &[(&'static str, &'static str)],
    chosen: &str,
    on_change: Callback<Event>,
    disabled: bool,
    after: Html,
) -> Html {
    container(
        "label",
        "field",
        html! { <>
            { text_element("span", "field-label", label.into()) }
            <select id={id} onchange={on_change} disabled={disabled}>
                { select_options(choices, chosen) }
            </select>
            { after }
        </> },
    )
}

/// One entry of a list the scenario holds (a setting change, a fault): its line, and a button
/// with the classes in `class` (`remove` and the list's own) that calls `on_remove` (which
/// sends the command that takes it out of the scenario). The caller makes the callback, so
/// each list's copies only its own entry's type, not every `Command` (the derived `clone` of
/// the whole enum, 0.5 KB raw, was inlined here).
pub fn removable_line(
    line: String,
    class: &'static str,
    on_remove: Callback<MouseEvent>,
    disabled: bool,
) -> Html {
    container(
        "li",
        "",
        html! { <>{ text_element("span", "", line.clone().into()) }
        <button class={class} title="take it out of the scenario and re-simulate to now"
                aria-label={format!("remove {line}")} onclick={on_remove} disabled={disabled}>{ "remove" }</button></> },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_label_writes_its_coordinates_with_one_decimal_and_leaves_out_what_it_was_not_given() {
        let attributes_of = |node: Html| {
            let Html::VTag(tag) = node else {
                panic!("a label is an element");
            };
            assert_eq!(tag.tag(), "text");
            let Some(Html::VText(text)) = tag.children() else {
                panic!("a label's text");
            };
            let attributes: Vec<(String, String)> = tag
                .attributes
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect();
            (attributes, text.text.to_string())
        };
        let (attributes, text) = attributes_of(svg_text(
            70.0,
            14.26,
            Some("end"),
            "row-label run-label",
            "L1".into(),
        ));
        assert_eq!(text, "L1");
        let pairs = |list: &[(&str, &str)]| {
            list.iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            attributes,
            pairs(&[
                ("x", "70.0"),
                ("y", "14.3"),
                ("text-anchor", "end"),
                ("class", "row-label run-label"),
            ])
        );
        let (attributes, _) =
            attributes_of(svg_text(4.0, 19.0, None, "", String::from("k0").into()));
        assert_eq!(attributes, pairs(&[("x", "4.0"), ("y", "19.0")]));
    }

    #[test]
    fn a_line_writes_its_ends_with_one_decimal_and_a_class_only_when_given_one() {
        let attributes_of = |node: Html| {
            let Html::VTag(tag) = node else {
                panic!("a line is an element");
            };
            assert_eq!(tag.tag(), "line");
            tag.attributes
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            attributes_of(svg_line(150.0, 58.0, 930.5, 58.0, "seq-axis")),
            [
                "x1=150.0",
                "y1=58.0",
                "x2=930.5",
                "y2=58.0",
                "class=seq-axis"
            ]
        );
        assert_eq!(
            attributes_of(svg_line(4.0, 40.0, 4.0, 76.0, "")),
            ["x1=4.0", "y1=40.0", "x2=4.0", "y2=76.0"]
        );
    }

    #[test]
    fn a_bar_has_a_title_only_when_given_one() {
        let tag_of = |node: Html| {
            let Html::VTag(tag) = node else {
                panic!("a bar is an element");
            };
            assert_eq!(tag.tag(), "rect");
            let attributes = tag
                .attributes
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>();
            (attributes, tag)
        };
        let (attributes, tag) = tag_of(svg_rect(
            70.0,
            4.0,
            2.5,
            12.0,
            "interval",
            Some("item 3".into()),
        ));
        assert_eq!(
            attributes,
            [
                "x=70.0",
                "y=4.0",
                "width=2.5",
                "height=12.0",
                "class=interval"
            ]
        );
        // The elements under a node, lists (which draw nothing of their own) looked through.
        fn elements(node: Option<&Html>) -> Vec<&yew::virtual_dom::VTag> {
            match node {
                Some(Html::VTag(tag)) => vec![tag],
                Some(Html::VList(list)) => list.iter().flat_map(|n| elements(Some(n))).collect(),
                _ => Vec::new(),
            }
        }
        let children = elements(tag.children());
        assert_eq!(children.len(), 1, "a bar's title is its one child");
        assert_eq!(children[0].tag(), "title");
        let Some(Html::VText(text)) = children[0].children() else {
            panic!("a title's text");
        };
        assert_eq!(text.text, "item 3");
        let (attributes, tag) = tag_of(svg_rect(0.0, 0.0, 1.0, 1.0, "", None));
        assert_eq!(attributes, ["x=0.0", "y=0.0", "width=1.0", "height=1.0"]);
        assert!(elements(tag.children()).is_empty(), "no title");
    }

    #[test]
    fn a_text_element_is_its_tag_with_its_text_and_an_id_or_class_only_when_given_one() {
        let parts_of = |node: Html| {
            let Html::VTag(tag) = node else {
                panic!("an element");
            };
            let Some(Html::VText(text)) = tag.children() else {
                panic!("its text");
            };
            let attributes = tag
                .attributes
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>();
            (tag.tag().to_string(), attributes, text.text.to_string())
        };
        assert_eq!(
            parts_of(text_element("span", "field-label", "window".into())),
            (
                "span".to_string(),
                vec!["class=field-label".to_string()],
                "window".to_string()
            )
        );
        assert_eq!(
            parts_of(text_element("h2", "", format!("Arms ({} items)", 3).into())),
            ("h2".to_string(), Vec::new(), "Arms (3 items)".to_string())
        );
        assert_eq!(
            parts_of(identified_text("span", "event-count", "mono", "42".into())),
            (
                "span".to_string(),
                vec!["id=event-count".to_string(), "class=mono".to_string()],
                "42".to_string()
            )
        );
        assert_eq!(
            parts_of(identified_text(
                "span",
                "beat-counter",
                "",
                "beat 1 of 4".into()
            ))
            .1,
            ["id=beat-counter"]
        );
    }

    #[test]
    fn a_button_has_an_id_only_when_given_one_and_is_disabled_only_when_asked() {
        let parts_of = |node: Html| {
            let Html::VTag(tag) = node else {
                panic!("a button is an element");
            };
            assert_eq!(tag.tag(), "button");
            let Some(Html::VText(text)) = tag.children() else {
                panic!("a button's text");
            };
            let attributes = tag
                .attributes
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>();
            (attributes, text.text.to_string())
        };
        assert_eq!(
            parts_of(button(
                "play",
                "primary",
                "Play".into(),
                Callback::noop(),
                true
            )),
            (
                vec![
                    "id=play".to_string(),
                    "disabled=disabled".to_string(),
                    "class=primary".to_string()
                ],
                "Play".to_string()
            )
        );
        assert_eq!(
            parts_of(button(
                "",
                "slow-op",
                "get k12".into(),
                Callback::noop(),
                false
            ))
            .0,
            ["class=slow-op"]
        );
    }

    #[test]
    fn a_select_field_is_its_label_its_select_of_the_choices_and_what_goes_after() {
        fn elements(node: &Html) -> Vec<&yew::virtual_dom::VTag> {
            match node {
                Html::VTag(tag) => vec![tag],
                Html::VList(list) => list.iter().flat_map(elements).collect(),
                _ => Vec::new(),
            }
        }
        let choices = [("all", "all"), ("put", "PUTs")];
        let after = html! { <span class="field-error" id="fault-ops-error">{ "no" }</span> };
        let field = select_field(
            "requests",
            "fault-ops",
            &choices,
            "put",
            Callback::noop(),
            true,
            after,
        );
        let Html::VTag(label) = &field else {
            panic!("a field is an element");
        };
        assert_eq!(label.tag(), "label");
        let children: Vec<_> = label.children().map(elements).unwrap_or_default();
        let tags: Vec<&str> = children.iter().map(|tag| tag.tag()).collect();
        assert_eq!(tags, ["span", "select", "span"]);
        let select = children[1];
        let attributes: Vec<(&str, &str)> = select.attributes.iter().collect();
        assert!(attributes.contains(&("id", "fault-ops")), "{attributes:?}");
        assert!(
            attributes.contains(&("disabled", "disabled")),
            "{attributes:?}"
        );
        let options = select.children().map(elements).unwrap_or_default();
        assert_eq!(options.len(), choices.len());
        let without = select_field(
            "requests",
            "fault-ops",
            &choices,
            "all",
            Callback::noop(),
            false,
            Html::default(),
        );
        let Html::VTag(label) = &without else {
            panic!("a field is an element");
        };
        let tags: Vec<&str> = label
            .children()
            .map(elements)
            .unwrap_or_default()
            .iter()
            .map(|tag| tag.tag())
            .collect();
        assert_eq!(tags, ["span", "select"]);
    }

    #[test]
    fn a_container_is_its_tag_id_class_or_label_around_its_children() {
        let node = container(
            "div",
            "button-row",
            html! { <><span>{ "a" }</span><span>{ "b" }</span></> },
        );
        let Html::VTag(tag) = &node else {
            panic!("a container is an element");
        };
        assert_eq!(tag.tag(), "div");
        let attributes: Vec<(&str, &str)> = tag.attributes.iter().collect();
        assert_eq!(attributes, [("class", "button-row")]);
        let Some(Html::VList(children)) = tag.children() else {
            panic!("its children");
        };
        let inner: Vec<&Html> = children
            .iter()
            .flat_map(|node| match node {
                Html::VList(list) => list.iter().collect::<Vec<_>>(),
                other => vec![other],
            })
            .collect();
        assert_eq!(inner.len(), 2);
        let Html::VTag(group) = container("g", "", Html::default()) else {
            panic!("a container is an element");
        };
        assert_eq!(group.tag(), "g");
        assert_eq!(group.attributes.iter().count(), 0);
        let Html::VTag(section) = panel("panel", "LSM tree", Html::default()) else {
            panic!("a panel is an element");
        };
        assert_eq!(section.tag(), "section");
        let attributes: Vec<(&str, &str)> = section.attributes.iter().collect();
        assert_eq!(attributes, [("aria-label", "LSM tree"), ("class", "panel")]);
        let Html::VTag(list) = identified_container("ul", "event-list", "events", Html::default())
        else {
            panic!("a container is an element");
        };
        assert_eq!(list.tag(), "ul");
        let attributes: Vec<(&str, &str)> = list.attributes.iter().collect();
        assert_eq!(attributes, [("id", "event-list"), ("class", "events")]);
    }

    #[test]
    fn a_selects_options_are_its_choices_in_order_with_only_the_chosen_one_selected() {
        let choices = [
            ("sst", "SSTs"),
            ("wal", "WAL objects"),
            ("any", "any object"),
        ];
        let Html::VList(list) = select_options(&choices, "wal") else {
            panic!("the options are a list of nodes");
        };
        assert_eq!(list.len(), choices.len());
        for (node, (value, text)) in list.iter().zip(choices) {
            let Html::VTag(tag) = node else {
                panic!("each option is an element");
            };
            assert_eq!(tag.tag(), "option");
            let attributes: Vec<(&str, &str)> = tag.attributes.iter().collect();
            assert!(attributes.contains(&("value", value)), "{attributes:?}");
            assert_eq!(
                attributes.iter().any(|(name, _)| *name == "selected"),
                value == "wal",
                "{attributes:?}"
            );
            let Some(Html::VText(label)) = tag.children() else {
                panic!("an option's text");
            };
            assert_eq!(label.text, text);
        }
        let Html::VList(none) = select_options(&choices, "manifest") else {
            panic!("the options are a list of nodes");
        };
        assert_eq!(none.len(), choices.len());
    }
}
