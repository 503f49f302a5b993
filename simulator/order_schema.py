"""The order domain of the Admin GraphQL schema (Order and everything reachable from it), as SDL.

One definition shared by the served Admin schema (admin_schema.py) and the schema bulk queries are
validated against (bulkquery.py), so what a client may select is the same in both places.
"""

from __future__ import annotations

CONNECTION_ARGS = "first: Int, last: Int, after: String, before: String, reverse: Boolean"
"""Pagination arguments of every connection (ignored inside bulk queries)."""

# Field lists follow our Shopify reference notes where they have them; the rest is from memory of
# Shopify's public Admin GraphQL reference (2025-2026 versions) and is marked "memory" below.
# Lists vs connections follow Shopify's: Order.fulfillments and Order.refunds are lists,
# so the connections below them (fulfillmentLineItems, events, refundLineItems, transactions)
# cannot be bulk-queried. Deprecated fields a client may still select (the Money scalars beside
# the *Set fields) are served too. Enums CurrencyCode and CountryCode are subsets of Shopify's
# (it lists ~160 currencies and ~250 countries); every value the generator emits is in them.
ORDER_SDL = f"""
enum CurrencyCode {{
  AED ARS AUD BRL CAD CHF CLP CNY COP CZK DKK EUR GBP HKD HUF IDR ILS INR ISK JPY KRW MXN MYR
  NOK NZD PHP PLN RON SAR SEK SGD THB TRY TWD UAH USD VND ZAR
}}
enum CountryCode {{
  AE AR AT AU BE BR CA CH CL CN CO CZ DE DK ES FI FR GB HK IE IL IN IS IT JP KR MX MY NL NO
  NZ PH PL PT RO SA SE SG TH TR TW UA US VN ZA
}}
scalar Money
enum CountPrecision {{ AT_LEAST EXACT }}
type Count {{ count: Int! precision: CountPrecision! }}
type MoneyV2 {{ amount: Decimal! currencyCode: CurrencyCode! }}
type MoneyBag {{ shopMoney: MoneyV2! presentmentMoney: MoneyV2! }}
type Attribute {{ key: String! value: String }}
type Image {{ id: ID altText: String url: URL! width: Int height: Int }}
type Location implements Node {{ id: ID! name: String! }}

type TaxLine {{
  title: String! rate: Float ratePercentage: Float priceSet: MoneyBag! channelLiable: Boolean
  source: String
}}

type MailingAddress implements Node {{
  id: ID! address1: String address2: String city: String company: String
  coordinatesValidated: Boolean! country: String countryCodeV2: CountryCode
  firstName: String lastName: String name: String phone: String province: String
  provinceCode: String zip: String latitude: Float longitude: Float
  formatted(withName: Boolean = false, withCompany: Boolean = true): [String!]!
  formattedArea: String timeZone: String validationResultSummary: MailingAddressValidationResult
}}
enum MailingAddressValidationResult {{ ERROR NO_ISSUES WARNING }}

enum CustomerState {{ DECLINED DISABLED ENABLED INVITED }}
enum CustomerEmailAddressMarketingState {{
  INVALID NOT_SUBSCRIBED PENDING REDACTED SUBSCRIBED UNSUBSCRIBED
}}
type CustomerEmailAddress {{
  emailAddress: String! marketingState: CustomerEmailAddressMarketingState!
}}
type Customer implements Node {{
  id: ID! legacyResourceId: UnsignedInt64! firstName: String lastName: String
  displayName: String! email: String phone: String defaultEmailAddress: CustomerEmailAddress
  tags: [String!]! note: String state: CustomerState! verifiedEmail: Boolean!
  validEmailAddress: Boolean! taxExempt: Boolean! locale: String! createdAt: DateTime!
  updatedAt: DateTime! numberOfOrders: UnsignedInt64! amountSpent: MoneyV2!
  lifetimeDuration: String! defaultAddress: MailingAddress
  addresses(first: Int): [MailingAddress!]!
  orders({CONNECTION_ARGS}, query: String, sortKey: OrderSortKeys): OrderConnection!
}}

enum DiscountApplicationAllocationMethod {{ ACROSS EACH ONE }}
enum DiscountApplicationTargetSelection {{ ALL ENTITLED EXPLICIT }}
enum DiscountApplicationTargetType {{ LINE_ITEM SHIPPING_LINE }}
type PricingPercentageValue {{ percentage: Float! }}
union PricingValue = MoneyV2 | PricingPercentageValue
interface DiscountApplication {{
  allocationMethod: DiscountApplicationAllocationMethod! index: Int!
  targetSelection: DiscountApplicationTargetSelection! targetType: DiscountApplicationTargetType!
  value: PricingValue!
}}
type DiscountCodeApplication implements DiscountApplication {{
  allocationMethod: DiscountApplicationAllocationMethod! index: Int!
  targetSelection: DiscountApplicationTargetSelection! targetType: DiscountApplicationTargetType!
  value: PricingValue! code: String!
}}
type AutomaticDiscountApplication implements DiscountApplication {{
  allocationMethod: DiscountApplicationAllocationMethod! index: Int!
  targetSelection: DiscountApplicationTargetSelection! targetType: DiscountApplicationTargetType!
  value: PricingValue! title: String!
}}
type ManualDiscountApplication implements DiscountApplication {{
  allocationMethod: DiscountApplicationAllocationMethod! index: Int!
  targetSelection: DiscountApplicationTargetSelection! targetType: DiscountApplicationTargetType!
  value: PricingValue! title: String! description: String
}}
type ScriptDiscountApplication implements DiscountApplication {{
  allocationMethod: DiscountApplicationAllocationMethod! index: Int!
  targetSelection: DiscountApplicationTargetSelection! targetType: DiscountApplicationTargetType!
  value: PricingValue! title: String!
}}
type DiscountApplicationEdge {{ cursor: String! node: DiscountApplication! }}
type DiscountApplicationConnection {{
  edges: [DiscountApplicationEdge!]! nodes: [DiscountApplication!]! pageInfo: PageInfo!
}}
type DiscountAllocation {{
  allocatedAmountSet: MoneyBag! discountApplication: DiscountApplication!
}}

type ShippingLine {{
  id: ID title: String! code: String carrierIdentifier: String source: String
  deliveryCategory: String custom: Boolean! phone: String shippingRateHandle: String
  isRemoved: Boolean! originalPriceSet: MoneyBag! discountedPriceSet: MoneyBag!
  currentDiscountedPriceSet: MoneyBag! discountAllocations: [DiscountAllocation!]!
  taxLines: [TaxLine!]!
}}
type ShippingLineEdge {{ cursor: String! node: ShippingLine! }}
type ShippingLineConnection {{
  edges: [ShippingLineEdge!]! nodes: [ShippingLine!]! pageInfo: PageInfo!
}}

type AdditionalFee {{ id: ID! name: String! price: MoneyBag! taxLines: [TaxLine!]! }}
type OrderApp {{ id: ID! name: String! icon: Image! }}
type OrderCancellation {{ staffNote: String }}
enum DisputeType {{ CHARGEBACK INQUIRY }}
enum DisputeStatus {{ ACCEPTED CHARGE_REFUNDED LOST NEEDS_RESPONSE UNDER_REVIEW WON }}
type OrderDisputeSummary {{ id: ID! initiatedAs: DisputeType! status: DisputeStatus! }}
type BusinessEntityAddress {{
  address1: String address2: String city: String countryCode: CountryCode! province: String
  zip: String
}}
type BusinessEntity implements Node {{
  id: ID! address: BusinessEntityAddress! companyName: String displayName: String!
  primary: Boolean!
}}
enum ShopifyProtectEligibilityStatus {{ ELIGIBLE NOT_ELIGIBLE PENDING }}
enum ShopifyProtectStatus {{ ACTIVE INACTIVE NOT_PROTECTED PENDING PROTECTED }}
type ShopifyProtectOrderEligibility {{ status: ShopifyProtectEligibilityStatus! }}
type ShopifyProtectOrderSummary {{
  eligibility: ShopifyProtectOrderEligibility! status: ShopifyProtectStatus!
}}
type CashRoundingAdjustment {{ paymentSet: MoneyBag! refundSet: MoneyBag! }}
type Duty implements Node {{
  id: ID! harmonizedSystemCode: String countryCodeOfOrigin: CountryCode price: MoneyBag!
  taxLines: [TaxLine!]!
}}
enum FulfillmentServiceType {{ GIFT_CARD MANUAL THIRD_PARTY }}
type FulfillmentService {{
  id: ID! handle: String! serviceName: String! trackingSupport: Boolean!
  type: FulfillmentServiceType! permitsSkuSharing: Boolean! inventoryManagement: Boolean!
}}
type ChannelInformation {{ id: ID! channelId: ID! displayName: String }}

enum OrderRiskLevel {{ HIGH LOW MEDIUM }}
type OrderRisk {{ display: Boolean! level: OrderRiskLevel message: String }}
enum RiskAssessmentResult {{ HIGH LOW MEDIUM NONE PENDING }}
enum OrderRiskRecommendationResult {{ ACCEPT CANCEL INVESTIGATE NONE }}
enum RiskFactSentiment {{ NEGATIVE NEUTRAL POSITIVE }}
type RiskFact {{ description: String! sentiment: RiskFactSentiment! }}
type OrderRiskAssessment {{ riskLevel: RiskAssessmentResult! facts: [RiskFact!]! }}
type OrderRiskSummary {{
  recommendation: OrderRiskRecommendationResult! assessments: [OrderRiskAssessment!]!
}}

enum OrderTransactionKind {{
  AUTHORIZATION CAPTURE CHANGE EMV_AUTHORIZATION REFUND SALE SUGGESTED_REFUND VOID
}}
enum OrderTransactionStatus {{ AWAITING_RESPONSE ERROR FAILURE PENDING SUCCESS UNKNOWN }}
type OrderTransaction implements Node {{
  id: ID! kind: OrderTransactionKind! status: OrderTransactionStatus! gateway: String
  formattedGateway: String amountSet: MoneyBag! createdAt: DateTime! processedAt: DateTime
  test: Boolean! authorizationCode: String accountNumber: String
}}
type OrderTransactionEdge {{ cursor: String! node: OrderTransaction! }}
type OrderTransactionConnection {{
  edges: [OrderTransactionEdge!]! nodes: [OrderTransaction!]! pageInfo: PageInfo!
}}

scalar JSON
# memory: a subset of Shopify's MetafieldOwnerType values.
enum MetafieldOwnerType {{
  ARTICLE BLOG COLLECTION COMPANY COMPANY_LOCATION CUSTOMER DRAFTORDER LOCATION MARKET ORDER
  PAGE PRODUCT PRODUCTVARIANT SHOP
}}
type Metafield implements Node {{
  id: ID! legacyResourceId: UnsignedInt64! namespace: String! key: String! value: String!
  jsonValue: JSON! type: String! description: String ownerType: MetafieldOwnerType!
  createdAt: DateTime! updatedAt: DateTime!
}}
type MetafieldEdge {{ cursor: String! node: Metafield! }}
type MetafieldConnection {{ edges: [MetafieldEdge!]! nodes: [Metafield!]! pageInfo: PageInfo! }}

enum OrderCancelReason {{ CUSTOMER DECLINED FRAUD INVENTORY OTHER STAFF }}
enum OrderDisplayFinancialStatus {{
  AUTHORIZED EXPIRED PAID PARTIALLY_PAID PARTIALLY_REFUNDED PENDING REFUNDED VOIDED
}}
enum OrderDisplayFulfillmentStatus {{
  FULFILLED IN_PROGRESS ON_HOLD OPEN PARTIALLY_FULFILLED PENDING_FULFILLMENT REQUEST_DECLINED
  RESTOCKED SCHEDULED UNFULFILLED
}}
enum OrderReturnStatus {{
  INSPECTION_COMPLETE IN_PROGRESS NO_RETURN RETURNED RETURN_FAILED RETURN_REQUESTED
}}
enum OrderSortKeys {{
  CREATED_AT CUSTOMER_NAME DESTINATION FINANCIAL_STATUS FULFILLMENT_STATUS ID ORDER_NUMBER
  PO_NUMBER PROCESSED_AT RELEVANCE TOTAL_ITEMS_QUANTITY TOTAL_PRICE UPDATED_AT
}}

type Order implements Node {{
  id: ID! legacyResourceId: UnsignedInt64! name: String! number: Int!
  createdAt: DateTime! updatedAt: DateTime! processedAt: DateTime!
  cancelledAt: DateTime cancelReason: OrderCancelReason closed: Boolean! closedAt: DateTime
  confirmed: Boolean! confirmationNumber: String test: Boolean! email: String phone: String
  currencyCode: CurrencyCode! presentmentCurrencyCode: CurrencyCode!
  displayFinancialStatus: OrderDisplayFinancialStatus
  displayFulfillmentStatus: OrderDisplayFulfillmentStatus!
  returnStatus: OrderReturnStatus!
  totalPriceSet: MoneyBag! subtotalPriceSet: MoneyBag totalTaxSet: MoneyBag
  totalDiscountsSet: MoneyBag totalRefundedSet: MoneyBag! currentTotalPriceSet: MoneyBag!
  totalShippingPriceSet: MoneyBag! originalTotalPriceSet: MoneyBag!
  currentSubtotalPriceSet: MoneyBag! currentTotalTaxSet: MoneyBag!
  currentTotalDiscountsSet: MoneyBag! currentShippingPriceSet: MoneyBag!
  currentCartDiscountAmountSet: MoneyBag! cartDiscountAmountSet: MoneyBag
  currentTotalAdditionalFeesSet: MoneyBag originalTotalAdditionalFeesSet: MoneyBag
  currentTotalDutiesSet: MoneyBag originalTotalDutiesSet: MoneyBag
  totalReceivedSet: MoneyBag! totalOutstandingSet: MoneyBag! totalCapturableSet: MoneyBag!
  totalTipReceivedSet: MoneyBag! totalRefundedShippingSet: MoneyBag! netPaymentSet: MoneyBag!
  refundDiscrepancySet: MoneyBag!
  totalPrice: Money! subtotalPrice: Money totalTax: Money totalDiscounts: Money
  totalReceived: Money! totalRefunded: Money! totalShippingPrice: Money! netPayment: Money!
  cartDiscountAmount: Money totalCapturable: Money! totalTipReceived: MoneyV2!
  retailLocation: Location
  subtotalLineItemsQuantity: Int! currentSubtotalLineItemsQuantity: Int!
  totalWeight: UnsignedInt64 currentTotalWeight: UnsignedInt64!
  taxLines: [TaxLine!]! currentTaxLines: [TaxLine!]! taxExempt: Boolean! taxesIncluded: Boolean!
  estimatedTaxes: Boolean! dutiesIncluded: Boolean!
  additionalFees: [AdditionalFee!]!
  customer: Customer customerAcceptsMarketing: Boolean! customerLocale: String
  billingAddress: MailingAddress shippingAddress: MailingAddress displayAddress: MailingAddress
  billingAddressMatchesShippingAddress: Boolean!
  shippingLine: ShippingLine
  shippingLines({CONNECTION_ARGS}, includeRemovals: Boolean = false): ShippingLineConnection!
  discountCode: String discountCodes: [String!]!
  discountApplications({CONNECTION_ARGS}): DiscountApplicationConnection!
  tags: [String!]! note: String customAttributes: [Attribute!]!
  sourceName: String sourceIdentifier: String app: OrderApp channelInformation: ChannelInformation
  merchantOfRecordApp: OrderApp merchantBusinessEntity: BusinessEntity!
  cancellation: OrderCancellation disputes: [OrderDisputeSummary!]!
  shopifyProtect: ShopifyProtectOrderSummary totalCashRoundingAdjustment: CashRoundingAdjustment!
  clientIp: String registeredSourceUrl: URL statusPageUrl: URL!
  poNumber: String paymentGatewayNames: [String!]!
  riskLevel: OrderRiskLevel! risks(first: Int): [OrderRisk!]! risk: OrderRiskSummary!
  canMarkAsPaid: Boolean! canNotifyCustomer: Boolean! capturable: Boolean! edited: Boolean!
  fulfillable: Boolean! fullyPaid: Boolean! unpaid: Boolean! refundable: Boolean!
  restockable: Boolean! requiresShipping: Boolean! merchantEditable: Boolean!
  merchantEditableErrors: [String!]! hasTimelineComment: Boolean!
  refunds(first: Int): [Refund!]!
  fulfillments(first: Int): [Fulfillment!]! fulfillmentsCount: Count
  transactions(first: Int): [OrderTransaction!]! transactionsCount: Count
  metafields({CONNECTION_ARGS}, namespace: String, keys: [String!]): MetafieldConnection!
  metafield(namespace: String, key: String!): Metafield
  lineItems({CONNECTION_ARGS}): LineItemConnection!
}}
type OrderEdge {{ cursor: String! node: Order! }}
type OrderConnection {{ edges: [OrderEdge!]! nodes: [Order!]! pageInfo: PageInfo! }}

type LineItem implements Node {{
  id: ID! sku: String name: String! title: String! variantTitle: String vendor: String
  quantity: Int! currentQuantity: Int! refundableQuantity: Int! unfulfilledQuantity: Int!
  nonFulfillableQuantity: Int!
  originalUnitPriceSet: MoneyBag! discountedUnitPriceSet: MoneyBag!
  discountedUnitPriceAfterAllDiscountsSet: MoneyBag! originalTotalSet: MoneyBag!
  discountedTotalSet: MoneyBag! totalDiscountSet: MoneyBag!
  unfulfilledOriginalTotalSet: MoneyBag! unfulfilledDiscountedTotalSet: MoneyBag!
  taxLines(first: Int): [TaxLine!]! discountAllocations: [DiscountAllocation!]!
  requiresShipping: Boolean! taxable: Boolean! isGiftCard: Boolean! restockable: Boolean!
  variant: ProductVariant product: Product image: Image customAttributes: [Attribute!]!
  duties: [Duty!]!
}}
type LineItemEdge {{ cursor: String! node: LineItem! }}
type LineItemConnection {{ edges: [LineItemEdge!]! nodes: [LineItem!]! pageInfo: PageInfo! }}

type ProductVariant implements Node {{
  id: ID! sku: String title: String! price: Decimal! product: Product!
}}
type Product implements Node {{
  id: ID! title: String! vendor: String! handle: String! productType: String!
  variants({CONNECTION_ARGS}): ProductVariantConnection!
  collections({CONNECTION_ARGS}): CollectionConnection!
}}
type ProductVariantEdge {{ cursor: String! node: ProductVariant! }}
type ProductVariantConnection {{
  edges: [ProductVariantEdge!]! nodes: [ProductVariant!]! pageInfo: PageInfo!
}}
type Collection implements Node {{
  id: ID! title: String! products({CONNECTION_ARGS}): ProductConnection!
}}
type CollectionEdge {{ cursor: String! node: Collection! }}
type CollectionConnection {{ edges: [CollectionEdge!]! nodes: [Collection!]! pageInfo: PageInfo! }}
type ProductEdge {{ cursor: String! node: Product! }}
type ProductConnection {{ edges: [ProductEdge!]! nodes: [Product!]! pageInfo: PageInfo! }}

enum RefundLineItemRestockType {{ CANCEL LEGACY_RESTOCK NO_RESTOCK RETURN }}
type RefundLineItem {{
  id: ID lineItem: LineItem! quantity: Int! restockType: RefundLineItemRestockType!
  restocked: Boolean! priceSet: MoneyBag! subtotalSet: MoneyBag! totalTaxSet: MoneyBag!
  location: Location price: Money! subtotal: Money! totalTax: Money!
}}
type RefundLineItemEdge {{ cursor: String! node: RefundLineItem! }}
type RefundLineItemConnection {{
  edges: [RefundLineItemEdge!]! nodes: [RefundLineItem!]! pageInfo: PageInfo!
}}
type Refund implements Node {{
  id: ID! legacyResourceId: UnsignedInt64! createdAt: DateTime updatedAt: DateTime!
  note: String totalRefundedSet: MoneyBag!
  refundLineItems({CONNECTION_ARGS}): RefundLineItemConnection!
  transactions({CONNECTION_ARGS}): OrderTransactionConnection!
}}

enum FulfillmentStatus {{ CANCELLED ERROR FAILURE OPEN PENDING SUCCESS }}
enum FulfillmentDisplayStatus {{
  ATTEMPTED_DELIVERY CANCELED CARRIER_PICKED_UP CONFIRMED DELAYED DELIVERED FAILURE FULFILLED
  IN_TRANSIT LABEL_PRINTED LABEL_PURCHASED LABEL_VOIDED MARKED_AS_FULFILLED NOT_DELIVERED
  OUT_FOR_DELIVERY PICKED_UP READY_FOR_PICKUP SUBMITTED
}}
enum FulfillmentEventStatus {{
  ATTEMPTED_DELIVERY CARRIER_PICKED_UP CONFIRMED DELAYED DELIVERED FAILURE IN_TRANSIT
  LABEL_PRINTED LABEL_PURCHASED OUT_FOR_DELIVERY PICKED_UP READY_FOR_PICKUP
}}
type FulfillmentTrackingInfo {{ company: String number: String url: URL }}
type FulfillmentLineItem implements Node {{
  id: ID! quantity: Int lineItem: LineItem! originalTotalSet: MoneyBag!
  discountedTotalSet: MoneyBag!
}}
type FulfillmentLineItemEdge {{ cursor: String! node: FulfillmentLineItem! }}
type FulfillmentLineItemConnection {{
  edges: [FulfillmentLineItemEdge!]! nodes: [FulfillmentLineItem!]! pageInfo: PageInfo!
}}
type FulfillmentEvent implements Node {{
  id: ID! status: FulfillmentEventStatus! happenedAt: DateTime! message: String
}}
type FulfillmentEventEdge {{ cursor: String! node: FulfillmentEvent! }}
type FulfillmentEventConnection {{
  edges: [FulfillmentEventEdge!]! nodes: [FulfillmentEvent!]! pageInfo: PageInfo!
}}
type Fulfillment implements Node {{
  id: ID! legacyResourceId: UnsignedInt64! name: String! status: FulfillmentStatus!
  displayStatus: FulfillmentDisplayStatus createdAt: DateTime! updatedAt: DateTime!
  deliveredAt: DateTime estimatedDeliveryAt: DateTime inTransitAt: DateTime
  requiresShipping: Boolean! totalQuantity: Int! location: Location service: FulfillmentService
  trackingInfo(first: Int): [FulfillmentTrackingInfo!]!
  fulfillmentLineItems({CONNECTION_ARGS}): FulfillmentLineItemConnection!
  events({CONNECTION_ARGS}): FulfillmentEventConnection!
}}
"""

ORDER_TYPES = (
    "Order",
    "LineItem",
    "Customer",
    "Fulfillment",
    "Refund",
    "RefundLineItem",
    "TaxLine",
    "MailingAddress",
    "ShippingLine",
    "DiscountApplication",
    "DiscountAllocation",
)
"""The types issue #10 asks to match Shopify's (checked field by field in the tests)."""
