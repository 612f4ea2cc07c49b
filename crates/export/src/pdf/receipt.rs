//! The receipt page: the seller at the top, the receipt's number and date, a test-mode banner
//! when it applies, who was billed, what was bought and paid (and refunded), the payment's
//! gateway reference, and thanks.

use printpdf::{Color, Greyscale, Rgb};

use super::{new_document, save, Align, Cell, Column, Ink, Layout, FULL, MARGIN, TEXT_WIDTH};
use crate::receipt::{Receipt, Seller, TEST_MODE_BANNER};
use crate::ExportError;

/// (font size, line height) in points.
const SELLER_NAME: (f32, f32) = (20.0, 26.0);
const TITLE: (f32, f32) = (22.0, 30.0);
const BODY: (f32, f32) = (11.0, 16.0);
const SMALL: (f32, f32) = (9.5, 13.5);
const BANNER: (f32, f32) = (12.0, 20.0);
/// The height of the test-mode banner's band; its text's baseline is [`BANNER`]'s line
/// height below the band's top.
const BANNER_HEIGHT: f32 = 30.0;
/// Space between the blocks of the page.
const GAP: f32 = 22.0;

/// A label and its value, side by side.
const LABEL: Column = Column {
    x: MARGIN,
    width: 110.0,
};
const VALUE: Column = Column {
    x: MARGIN + 120.0,
    width: TEXT_WIDTH - 120.0,
};

/// The columns of the items table; amounts are right-aligned to the right margin.
const ITEM: Column = Column {
    x: MARGIN,
    width: 250.0,
};
const CREDITS: Column = Column {
    x: MARGIN + 260.0,
    width: 90.0,
};
const AMOUNT: Column = Column {
    x: MARGIN + 360.0,
    width: TEXT_WIDTH - 360.0,
};

fn rule_color() -> Color {
    Color::Greyscale(Greyscale::new(0.75, None))
}

fn banner_color() -> Color {
    Color::Rgb(Rgb::new(1.0, 0.92, 0.72, None))
}

fn cell(text: &str, column: Column, align: Align, ink: Ink) -> Cell<'_> {
    Cell {
        text: text.trim(),
        column,
        align,
        ink,
    }
}

pub(crate) fn render(receipt: &Receipt) -> Result<Vec<u8>, ExportError> {
    let title = format!("Receipt {}", receipt.number.trim());
    let (pdf, fonts, font_ids) = new_document(&title, receipt.seller.name.trim())?;
    let mut layout = Layout::new(fonts, font_ids);
    layout.new_page();

    seller(&mut layout, &receipt.seller);
    layout.y -= GAP;
    layout.rule(FULL, layout.y, 0.75, rule_color());
    layout.y -= 8.0;

    layout.paragraph("RECEIPT", TITLE, Align::Left);
    layout.y -= 4.0;
    field(&mut layout, "Receipt number", &receipt.number, BODY);
    field(&mut layout, "Date paid", &receipt.paid_at_text(), BODY);

    if receipt.test_mode {
        layout.y -= GAP * 0.75;
        // The band and its text on one page, even after a very long seller address.
        if layout.y - BANNER_HEIGHT < MARGIN {
            layout.new_page();
        }
        let top = layout.y;
        layout.band(FULL, (top - BANNER_HEIGHT, top), banner_color());
        layout.row(
            &[cell(TEST_MODE_BANNER, FULL, Align::Center, Ink::Amber)],
            BANNER,
        );
        layout.y = top - BANNER_HEIGHT;
    }

    layout.y -= GAP;
    layout.row(&[cell("BILLED TO", FULL, Align::Left, Ink::Grey)], SMALL);
    layout.y -= 2.0;
    layout.row(
        &[cell(&receipt.buyer_name, FULL, Align::Left, Ink::Black)],
        BODY,
    );
    layout.row(
        &[cell(&receipt.buyer_email, FULL, Align::Left, Ink::Black)],
        BODY,
    );

    layout.y -= GAP;
    items(&mut layout, receipt);

    layout.y -= GAP * 1.5;
    field(&mut layout, "Payment ID", &receipt.payment_id, SMALL);
    field(&mut layout, "Paid via", &receipt.gateway, SMALL);

    layout.y -= GAP * 1.5;
    layout.row(
        &[cell(
            "Thank you for your purchase.",
            FULL,
            Align::Left,
            Ink::Black,
        )],
        BODY,
    );
    let email = receipt.seller.email.trim();
    if !email.is_empty() {
        let questions = format!("Questions about this receipt? Write to {email}.");
        layout.row(&[cell(&questions, FULL, Align::Left, Ink::Grey)], SMALL);
    }
    layout.set_ink(Ink::Black);

    save(pdf, layout.finish())
}

/// The seller's name, large, with its address, email and tax id under it.
fn seller(layout: &mut Layout, seller: &Seller) {
    layout.row(
        &[cell(&seller.name, FULL, Align::Left, Ink::Black)],
        SELLER_NAME,
    );
    layout.y -= 2.0;
    for line in &seller.address {
        layout.row(&[cell(line, FULL, Align::Left, Ink::Grey)], SMALL);
    }
    layout.row(&[cell(&seller.email, FULL, Align::Left, Ink::Grey)], SMALL);
    if let Some(tax_id) = seller.tax_id_shown() {
        let text = format!("Tax ID: {tax_id}");
        layout.row(&[cell(&text, FULL, Align::Left, Ink::Grey)], SMALL);
    }
}

/// A grey label with its value beside it.
fn field(layout: &mut Layout, label: &str, value: &str, style: (f32, f32)) {
    layout.row(
        &[
            cell(label, LABEL, Align::Left, Ink::Grey),
            cell(value, VALUE, Align::Left, Ink::Black),
        ],
        style,
    );
}

/// The table of what was bought: a header, the one item, and the total (and refund) under the
/// amount.
fn items(layout: &mut Layout, receipt: &Receipt) {
    layout.row(
        &[
            cell("Item", ITEM, Align::Left, Ink::Grey),
            cell("Credits", CREDITS, Align::Left, Ink::Grey),
            cell("Amount", AMOUNT, Align::Right, Ink::Grey),
        ],
        SMALL,
    );
    layout.y -= 5.0;
    layout.rule(FULL, layout.y, 0.75, rule_color());
    layout.y -= 2.0;

    let amount = receipt.amount.to_string();
    layout.row(
        &[
            cell(&receipt.item, ITEM, Align::Left, Ink::Black),
            cell(&receipt.credits, CREDITS, Align::Left, Ink::Black),
            cell(&amount, AMOUNT, Align::Right, Ink::Black),
        ],
        BODY,
    );
    layout.y -= 7.0;
    layout.rule(FULL, layout.y, 0.75, rule_color());
    layout.y -= 2.0;

    layout.row(
        &[
            cell("Total paid", CREDITS, Align::Left, Ink::Grey),
            cell(&amount, AMOUNT, Align::Right, Ink::Black),
        ],
        BODY,
    );
    if let Some(refund) = receipt.refund_shown() {
        let refund = refund.to_string();
        layout.row(
            &[
                cell("Refunded", CREDITS, Align::Left, Ink::Grey),
                cell(&refund, AMOUNT, Align::Right, Ink::Black),
            ],
            BODY,
        );
    }
}
