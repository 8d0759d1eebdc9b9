// The one table of user-visible text. Vietnamese is the source language and
// the default; English mirrors every key (the compiler checks that it does).
// Components never contain text of their own: they call translate(locale, key).

/** The languages the app speaks. */
export type Locale = 'vi' | 'en';

/** The default language: GoodGo is built for Vietnamese shops. */
export const defaultLocale: Locale = 'vi';

/** Every supported locale, in the order the language switch offers them. */
export const locales: readonly Locale[] = ['vi', 'en'];

/** The BCP 47 tag used for number and date formatting in each locale. */
export const localeTags: Readonly<Record<Locale, string>> = { vi: 'vi-VN', en: 'en-GB' };

/** Shop-local time: Vietnam is GMT+7 all year (API.md: local dates and bands are GMT+7). */
export const shopTimeZone = 'Asia/Ho_Chi_Minh';

const vi = {
  'app.name': 'GoodGo',
  'app.tagline': 'Bán hàng cho nhà hàng, quán cà phê và karaoke',
  'app.skip_to_content': 'Chuyển đến nội dung chính',

  'language.switch_label': 'Ngôn ngữ',
  'language.name.vi': 'Tiếng Việt',
  'language.name.en': 'English',
  'language.short.vi': 'VI',
  'language.short.en': 'EN',

  'nav.label': 'Điều hướng chính',
  'nav.collapse': 'Thu gọn thanh bên',
  'nav.expand': 'Mở rộng thanh bên',
  'nav.open_menu': 'Mở menu',
  'nav.close_menu': 'Đóng menu',

  'section.home.title': 'Trang chủ',
  'section.pos.title': 'Bán hàng',
  'section.pos.summary': 'Sơ đồ bàn, gọi món, thanh toán và ca làm việc.',
  'section.kds.title': 'Màn hình bếp',
  'section.kds.summary': 'Phiếu chế biến theo từng khu bếp, quầy bar.',
  'section.admin.title': 'Quản trị',
  'section.admin.summary': 'Cửa hàng, sơ đồ bàn, thực đơn, kho, nhân viên và mã QR.',
  'section.reports.title': 'Báo cáo',
  'section.reports.summary': 'Doanh thu, hiệu suất nhân viên và báo cáo cuối ngày.',
  'section.menu.title': 'Thực đơn',
  'section.table.title': 'Gọi món tại bàn',

  'section.not_ready': 'Màn hình này chưa sẵn sàng; nó sẽ có trong các bản cập nhật tiếp theo.',
  'section.shop_id': 'Mã cửa hàng: {shop_id}',
  'section.qr_token': 'Mã QR của bàn: {qr_token}',

  'home.heading': 'Chào mừng đến với GoodGo',
  'home.sections_heading': 'Các phân hệ',

  'status.heading': 'Trạng thái máy chủ',
  'status.checking': 'Đang kiểm tra…',
  'status.ready': 'Máy chủ sẵn sàng',
  'status.not_ready': 'Máy chủ chưa sẵn sàng (HTTP {status})',
  'status.unreachable': 'Không kết nối được máy chủ',
  'status.checked_at': 'Kiểm tra lúc {time}',
  'status.check_again': 'Kiểm tra lại',
  'status.checks_label': 'Các thành phần',

  'not_found.title': 'Không tìm thấy trang',
  'not_found.body': 'Địa chỉ {path} không tồn tại.',
  'not_found.go_home': 'Về trang chủ',
} as const;

/** A key of the text table. */
export type MessageKey = keyof typeof vi;

const en: Record<MessageKey, string> = {
  'app.name': 'GoodGo',
  'app.tagline': 'Point of sale for restaurants, cafés and karaoke',
  'app.skip_to_content': 'Skip to main content',

  'language.switch_label': 'Language',
  'language.name.vi': 'Tiếng Việt',
  'language.name.en': 'English',
  'language.short.vi': 'VI',
  'language.short.en': 'EN',

  'nav.label': 'Main navigation',
  'nav.collapse': 'Collapse sidebar',
  'nav.expand': 'Expand sidebar',
  'nav.open_menu': 'Open menu',
  'nav.close_menu': 'Close menu',

  'section.home.title': 'Home',
  'section.pos.title': 'Point of sale',
  'section.pos.summary': 'Floor plan, ordering, payments and shifts.',
  'section.kds.title': 'Kitchen display',
  'section.kds.summary': 'Tickets for each kitchen station and the bar.',
  'section.admin.title': 'Admin',
  'section.admin.summary': 'Shops, floor plans, menu, stock, staff and QR codes.',
  'section.reports.title': 'Reports',
  'section.reports.summary': 'Revenue, staff performance and end-of-day reports.',
  'section.menu.title': 'Menu',
  'section.table.title': 'Order at your table',

  'section.not_ready': 'This screen is not available yet; it comes in a later update.',
  'section.shop_id': 'Shop id: {shop_id}',
  'section.qr_token': 'Table QR code: {qr_token}',

  'home.heading': 'Welcome to GoodGo',
  'home.sections_heading': 'Sections',

  'status.heading': 'Server status',
  'status.checking': 'Checking…',
  'status.ready': 'Server ready',
  'status.not_ready': 'Server not ready (HTTP {status})',
  'status.unreachable': 'Cannot reach the server',
  'status.checked_at': 'Checked at {time}',
  'status.check_again': 'Check again',
  'status.checks_label': 'Components',

  'not_found.title': 'Page not found',
  'not_found.body': 'The address {path} does not exist.',
  'not_found.go_home': 'Go to the home page',
};

const messages: Record<Locale, Record<MessageKey, string>> = { vi, en };

/** Values substituted for {name} placeholders in a message. */
export type MessageValues = Readonly<Record<string, string | number>>;

/**
 * Returns the text for key in locale with {name} placeholders replaced from
 * values. A placeholder without a value is left as written, so a missing value
 * shows up on screen instead of silently vanishing.
 */
export function translate(locale: Locale, key: MessageKey, values?: MessageValues): string {
  const text = messages[locale][key];
  if (!values) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = values[name];
    return value === undefined ? whole : String(value);
  });
}

/** Reports whether value names a supported locale (e.g. one read from storage). */
export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (locales as readonly string[]).includes(value);
}

/** The text keys of a locale, for tests that compare the two tables. */
export function messageKeys(locale: Locale): MessageKey[] {
  return Object.keys(messages[locale]) as MessageKey[];
}
