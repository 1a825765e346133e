/**
 * Swift's `swift.format_listing` environ flag, as a typed context field: a middleware below
 * listing_formats that answers a listing in a format of its own choosing (object versioning's
 * `?versions` listings are always JSON) sets it to false, and listing_formats then returns the
 * answer untouched.
 */
declare module '../../context.js' {
  interface RequestContext {
    /** false: listing_formats must not convert this listing (Swift's swift.format_listing). */
    formatListing?: boolean;
  }
}

export {};
