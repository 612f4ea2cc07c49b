//! Penora's payment gateway layer: Razorpay's objects and flows behind one `Gateway` trait,
//! implemented by the Razorpay REST client and by the built-in sandbox (TEST MODE). No
//! database and no HTTP server here: the sandbox keeps its state through `SandboxBook`.

pub mod entities;
pub mod error;
pub mod gateway;
#[cfg(any(test, feature = "test-util"))]
pub mod memory;
pub mod razorpay;
pub mod requests;
pub mod sandbox;
pub mod signature;
pub mod webhook;

pub use entities::{
    Collection, Invoice, Notes, Order, OrderStatus, Payment, PaymentStatus, Plan, PlanItem, Refund,
    RefundStatus, Subscription, SubscriptionStatus,
};
pub use error::{GatewayError, BAD_REQUEST_ERROR};
pub use gateway::{BadGatewayKind, Gateway, GatewayKind};
pub use razorpay::{Razorpay, RazorpayConfig, DEFAULT_BASE_URL, REFUND_IDEMPOTENCY};
pub use requests::{BadPeriod, NewOrder, NewPlan, NewRefund, NewSubscription, Period};
pub use sandbox::{
    BookError, CheckoutAction, CheckoutResult, Delivery, Sandbox, SandboxBook, SandboxOptions,
    Tamper,
};
pub use signature::Signer;
pub use webhook::{Event, EventKind, EventPayload, Wrapped, EVENT_ID_HEADER, SIGNATURE_HEADER};
