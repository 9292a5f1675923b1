import XCTest

@testable import ForemanCore

/// The pure parts: field names, error words, the site's calendar. These need no store.
final class UiErrorTests: XCTestCase {
    func testFormFieldsFollowTheCrewForm() {
        XCTAssertEqual(formField("line.hours"), "effort")
        XCTAssertEqual(formField("line.days"), "effort")
        XCTAssertEqual(formField("lines[3].rate"), "rate")
        XCTAssertEqual(formField("line.cost_code"), "cost_code")
        XCTAssertEqual(formField("amount"), "amount")
        XCTAssertEqual(formField("lines[2]"), "lines")
        XCTAssertEqual(formField(""), "")
    }

    func testCoreErrorsBecomeWordsAndFields() {
        XCTAssertEqual(UiError(CoreError.InvalidInput(field: "line.hours", reason: "at most 24")),
                       .field(field: "effort", message: "at most 24"))
        XCTAssertEqual(UiError(CoreError.UnsyncedData(records: 2, photos: 1)), .unsynced(records: 2, photos: 1))
        XCTAssertEqual(UiError(CoreError.Unauthorized(reason: "revoked")), .signInAgain(reason: "revoked"))
        let offline: any Error = CoreError.Offline(reason: "connection refused")
        XCTAssertEqual(UiError(offline), .offline(reason: "connection refused"))
        XCTAssertTrue(UiError.unsynced(records: 2, photos: 1).message.hasPrefix("2 records and 1 photos"))
    }

    func testTodayIsOnTheSitesCalendar() throws {
        // 2025-03-01 20:30 UTC is already 2 March in Shanghai (UTC+8) and still 1 March in New York.
        let instant = Date(timeIntervalSince1970: 1_740_861_000)
        let shanghai = SiteContext(projectId: "P1", siteId: "S1", siteName: "", timeZone: "Asia/Shanghai")
        let newYork = SiteContext(projectId: "P1", siteId: "S2", siteName: "", timeZone: "America/New_York")
        XCTAssertEqual(shanghai.today(at: instant), "2025-03-02")
        XCTAssertEqual(newYork.today(at: instant), "2025-03-01")
        XCTAssertEqual(SiteContext.day("2024-03-01", adding: -1), "2024-02-29")
        XCTAssertEqual(SiteContext.day("2024-12-31", adding: 1), "2025-01-01")
        XCTAssertNil(SiteContext.day("31.12.2024", adding: 1))
    }
}
