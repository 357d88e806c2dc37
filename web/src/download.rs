//! Downloads from the page: text offered as a file through a Blob URL and a clicked
//! `<a download>`. The scenario, the trace, the metrics and the charts are saved this way.

use wasm_bindgen::JsCast;

/// Offers `text` as a file download named `name`, of MIME type `mime`.
pub fn download(name: &str, mime: &str, text: &str) -> Result<(), String> {
    let blob = gloo::file::Blob::new_with_options(text, Some(mime));
    let url = gloo::file::ObjectUrl::from(blob);
    let document = gloo::utils::document();
    let anchor = document
        .create_element("a")
        .map_err(|_| "the page could not create a download link".to_string())?
        .dyn_into::<web_sys::HtmlAnchorElement>()
        .map_err(|_| "the page could not create a download link".to_string())?;
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    // The object URL is revoked when `url` drops; the click has started the download by then.
    Ok(())
}

/// The presentation properties copied from the page's style sheet onto each element of a
/// saved SVG, so that it draws the same on its own.
const INLINED_PROPERTIES: [&str; 13] = [
    "fill",
    "fill-opacity",
    "stroke",
    "stroke-width",
    "stroke-dasharray",
    "stroke-opacity",
    "opacity",
    "font-family",
    "font-size",
    "font-weight",
    "text-anchor",
    "dominant-baseline",
    "visibility",
];

/// Elements of one chart at most (a chart bounds its own: a few hundred).
const MAX_SVG_ELEMENTS: u32 = 20_000;

/// A standalone SVG document of the drawn `svg`: its namespace set, every element's computed
/// presentation (colours from the page's CSS variables, fonts, dashes) written into its
/// `style`, and the page's background behind it, so the file renders alone.
pub fn standalone_svg(svg: &web_sys::Element) -> Result<String, String> {
    let failed = |what: &str| format!("the page could not save the chart ({what})");
    let window = gloo::utils::window();
    let copy = svg
        .clone_node_with_deep(true)
        .map_err(|_| failed("copying it"))?
        .dyn_into::<web_sys::Element>()
        .map_err(|_| failed("copying it"))?;
    let originals = svg
        .query_selector_all("*")
        .map_err(|_| failed("listing its elements"))?;
    let copies = copy
        .query_selector_all("*")
        .map_err(|_| failed("listing its elements"))?;
    if originals.length() != copies.length() || originals.length() > MAX_SVG_ELEMENTS {
        return Err(failed("its elements changed while saving"));
    }
    let inline = |original: &web_sys::Element, copy: &web_sys::Element| -> Result<(), String> {
        let computed = window
            .get_computed_style(original)
            .ok()
            .flatten()
            .ok_or_else(|| failed("reading its style"))?;
        let style: String = INLINED_PROPERTIES
            .iter()
            .filter_map(|property| {
                let value = computed.get_property_value(property).ok()?;
                (!value.is_empty()).then(|| format!("{property}:{value};"))
            })
            .collect();
        // The presentation attributes the style now overrides go: some name CSS variables
        // (`stroke="var(--accent)"`), which mean nothing outside the page.
        for property in INLINED_PROPERTIES {
            copy.remove_attribute(property)
                .map_err(|_| failed("writing its style"))?;
        }
        copy.set_attribute("style", &style)
            .map_err(|_| failed("writing its style"))
    };
    inline(svg, &copy)?;
    for index in 0..originals.length() {
        let (Some(original), Some(copied)) = (originals.item(index), copies.item(index)) else {
            return Err(failed("its elements changed while saving"));
        };
        let (Ok(original), Ok(copied)) = (
            original.dyn_into::<web_sys::Element>(),
            copied.dyn_into::<web_sys::Element>(),
        ) else {
            continue;
        };
        inline(&original, &copied)?;
    }
    // A fixed size from the view box (the page's is "100%" of its column).
    if let Some(view_box) = svg.get_attribute("viewBox") {
        let sizes: Vec<&str> = view_box.split_whitespace().collect();
        if let [_, _, width, height] = sizes.as_slice() {
            copy.set_attribute("width", width)
                .and_then(|()| copy.set_attribute("height", height))
                .map_err(|_| failed("setting its size"))?;
        }
    }
    let document = gloo::utils::document();
    let background = document
        .body()
        .and_then(|body| window.get_computed_style(&body).ok().flatten())
        .and_then(|style| style.get_property_value("background-color").ok())
        .filter(|colour| !colour.is_empty() && colour != "rgba(0, 0, 0, 0)")
        .unwrap_or_else(|| "white".to_string());
    let backdrop = document
        .create_element_ns(Some(SVG_NAMESPACE), "rect")
        .map_err(|_| failed("drawing its background"))?;
    for (name, value) in [
        ("width", "100%"),
        ("height", "100%"),
        ("fill", background.as_str()),
    ] {
        backdrop
            .set_attribute(name, value)
            .map_err(|_| failed("drawing its background"))?;
    }
    copy.prepend_with_node_1(&backdrop)
        .map_err(|_| failed("drawing its background"))?;
    copy.set_attribute("xmlns", SVG_NAMESPACE)
        .map_err(|_| failed("setting its namespace"))?;
    let text = web_sys::XmlSerializer::new()
        .and_then(|serializer| serializer.serialize_to_string(&copy))
        .map_err(|_| failed("serialising it"))?;
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{text}\n"
    ))
}

/// The SVG namespace, which a standalone file must declare.
pub const SVG_NAMESPACE: &str = "http://www.w3.org/2000/svg";
