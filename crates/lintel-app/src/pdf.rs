//! Printable documents (receipts, and invoices after them) as PDF, written with `pdf-writer`
//! (decision 0017): A4 pages, the standard Helvetica faces (no font files to ship, text that any
//! reader and `pdftotext` extract), lines laid out top to bottom with a new page when one is
//! full.

use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// Text as Windows-1252 bytes (the fonts' `WinAnsiEncoding`): Latin-1 as is, the typographic
/// marks the encoding has at their places, anything else as `?`; control characters dropped.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            _ => b'?',
        })
        .collect()
}

/// A document being laid out: the pages' content streams so far.
pub struct Document {
    title: String,
    pages: Vec<Content>,
    y: f32,
}

impl Document {
    pub fn new(title: &str) -> Self {
        let mut d = Document {
            title: title.to_string(),
            pages: Vec::new(),
            y: 0.0,
        };
        d.new_page();
        d
    }

    fn new_page(&mut self) {
        self.pages.push(Content::new());
        self.y = HEIGHT - MARGIN;
    }

    /// Room for a line `height` high, on a new page if this one is full.
    fn advance(&mut self, height: f32) -> f32 {
        if self.y - height < MARGIN {
            self.new_page();
        }
        self.y -= height;
        self.y
    }

    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, text: &str) {
        let page = self.pages.last_mut().expect("a page is always open");
        page.begin_text();
        page.set_font(if bold { BOLD } else { REGULAR }, size);
        page.next_line(x, y);
        page.show(Str(&win_ansi(text)));
        page.end_text();
    }

    /// A heading in large bold type.
    pub fn heading(&mut self, text: &str) -> &mut Self {
        let y = self.advance(26.0);
        self.text(MARGIN, y, 18.0, true, text);
        self
    }

    /// A line of ordinary text.
    pub fn para(&mut self, text: &str) -> &mut Self {
        let y = self.advance(15.0);
        self.text(MARGIN, y, 10.0, false, text);
        self
    }

    /// A label and its value, side by side.
    pub fn field(&mut self, label: &str, value: &str) -> &mut Self {
        let y = self.advance(15.0);
        self.text(MARGIN, y, 10.0, true, label);
        self.text(MARGIN + 150.0, y, 10.0, false, value);
        self
    }

    /// A row of cells at the given offsets from the left margin; bold for a header row.
    pub fn row(&mut self, cells: &[(f32, &str)], bold: bool) -> &mut Self {
        let y = self.advance(14.0);
        for (x, text) in cells {
            self.text(MARGIN + x, y, 9.0, bold, text);
        }
        self
    }

    /// A horizontal rule across the text width, with space around it.
    pub fn rule(&mut self) -> &mut Self {
        let y = self.advance(10.0) + 4.0;
        let page = self.pages.last_mut().expect("a page is always open");
        page.set_line_width(0.5);
        page.move_to(MARGIN, y);
        page.line_to(WIDTH - MARGIN, y);
        page.stroke();
        self
    }

    /// Space between sections.
    pub fn gap(&mut self) -> &mut Self {
        self.advance(8.0);
        self
    }

    /// The PDF's bytes.
    pub fn finish(self) -> Vec<u8> {
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let info = Ref::new(5);
        let mut next = 6;
        let mut alloc = || {
            let r = Ref::new(next);
            next += 1;
            r
        };
        let ids: Vec<(Ref, Ref)> = self.pages.iter().map(|_| (alloc(), alloc())).collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(ids.iter().map(|(page, _)| *page))
            .count(ids.len() as i32);
        pdf.document_info(info)
            .title(pdf_writer::TextStr(&self.title))
            .producer(pdf_writer::TextStr("Lintel"));
        for (font, id) in [("Helvetica", regular), ("Helvetica-Bold", bold)] {
            pdf.type1_font(id)
                .base_font(Name(font.as_bytes()))
                .encoding_predefined(Name(b"WinAnsiEncoding"));
        }
        for ((page_id, content_id), content) in ids.iter().zip(self.pages) {
            {
                let mut page = pdf.page(*page_id);
                page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
                page.parent(tree);
                page.contents(*content_id);
                page.resources()
                    .fonts()
                    .pair(REGULAR, regular)
                    .pair(BOLD, bold);
            }
            pdf.stream(*content_id, &content.finish());
        }
        pdf.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_text_for_the_standard_fonts() {
        assert_eq!(win_ansi("Café – 5 €"), b"Caf\xe9 \x96 5 \x80");
        assert_eq!(win_ansi("漢\n"), b"?");
    }

    #[test]
    fn a_long_document_flows_onto_more_pages() {
        let mut d = Document::new("Test");
        d.heading("Receipt");
        for i in 0..120 {
            d.para(&format!("Line {i}"));
        }
        assert!(d.pages.len() >= 3);
        let bytes = d.finish();
        assert!(bytes.starts_with(b"%PDF-"));
    }
}
