import CoreGraphics
import Foundation
import ImageIO
import XCTest

@testable import ForemanCore

/// What the tests share: a site, fixed clocks on its calendar, stores in fresh folders, reference data, real photos.
enum Fixtures {
    static let tz = "Asia/Shanghai"
    static let site = SiteContext(projectId: "P1", siteId: "S1", siteName: "3#楼 Tower 3", timeZone: tz)

    /// Today and yesterday on the site's calendar (the core refuses work dates far in the future).
    static var today: String { site.today(at: Date()) }
    static var yesterday: String { day(today, adding: -1) }

    static func day(_ day: String, adding days: Int) -> String {
        guard let moved = SiteContext.day(day, adding: days) else {
            preconditionFailure("\(day) is not a YYYY-MM-DD date")
        }
        return moved
    }

    /// 09:00 on `day` at the site, as a clock: the view models must read dates in the site's zone, not the Mac's.
    static func clock(on day: String) -> () -> Date {
        let format = DateFormatter()
        format.calendar = Calendar(identifier: .gregorian)
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = TimeZone(identifier: tz)
        format.dateFormat = "yyyy-MM-dd HH:mm"
        guard let nine = format.date(from: "\(day) 09:00") else {
            preconditionFailure("\(day) is not a YYYY-MM-DD date")
        }
        return { nine }
    }

    /// A fresh folder under the harness's scratch directory (or the system temp folder).
    static func freshDir(_ name: String) throws -> URL {
        let root = ProcessInfo.processInfo.environment["FIELDLEDGER_SCRATCH_DIR"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory
        let dir = root.appendingPathComponent("\(name)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Runs `body` with a repository on a new store (with the project's reference data unless told otherwise), and
    /// closes it afterwards, also when `body` throws.
    @MainActor
    static func withRepo(
        author: String = "王工长",
        withReference: Bool = true,
        _ body: @MainActor (FieldRepository) async throws -> Void
    ) async throws {
        let path = try freshDir("phone").appendingPathComponent("phone.db").path
        let store = try FieldStore.open(path: path, author: author)
        if withReference {
            _ = try store.importChanges(id: "reference:P1", data: try referenceDocument(data: reference()))
        }
        let repo = FieldRepository(store: store)
        do {
            try await body(repo)
        } catch {
            await repo.close()
            throw error
        }
        await repo.close()
    }

    static func reference() -> ReferenceData {
        ReferenceData(
            projectId: "P1",
            currency: "CNY",
            sites: [Site(id: "S1", name: "3#楼 Tower 3", timeZone: tz)],
            costCodes: [
                CostCode(code: "03", name: "Concrete 混凝土工程", parent: nil),
                CostCode(code: "03-100", name: "Concrete 混凝土", parent: "03"),
                CostCode(code: "05-100", name: "Masonry 砌筑", parent: nil),
            ],
            activities: [
                Activity(
                    id: "A-POUR-L3", name: "浇筑三层顶板 Pour L3 slab",
                    plannedStart: yesterday, plannedFinish: day(today, adding: 10), unit: "m3"
                ),
            ],
            trades: [
                Trade(name: "木工", dayRate: "380.00", hourRate: "47.50"),
                Trade(name: "钢筋工", dayRate: nil, hourRate: "50.00"),
            ]
        )
    }

    /// A real JPEG (a sky, a slab and a crane), as a phone camera would leave it in the app's caches, written with
    /// ImageIO so the tests need no UIKit or AppKit.
    static func jpeg(in dir: URL, name: String, width: Int = 1600, height: Int = 1200) throws -> URL {
        guard let context = CGContext(
            data: nil, width: width, height: height, bitsPerComponent: 8, bytesPerRow: 0,
            space: CGColorSpaceCreateDeviceRGB(), bitmapInfo: CGImageAlphaInfo.noneSkipLast.rawValue
        ) else { throw FixtureError("no bitmap context") }
        // Core Graphics counts y from the bottom: the slab is the lower third, the crane a tall mast.
        context.setFillColor(CGColor(red: 150 / 255, green: 190 / 255, blue: 230 / 255, alpha: 1))
        context.fill(CGRect(x: 0, y: 0, width: width, height: height))
        context.setFillColor(CGColor(red: 95 / 255, green: 95 / 255, blue: 100 / 255, alpha: 1))
        context.fill(CGRect(x: 0, y: 0, width: width, height: height / 3))
        context.setFillColor(CGColor(red: 230 / 255, green: 180 / 255, blue: 30 / 255, alpha: 1))
        context.fill(CGRect(x: width / 5, y: 0, width: width / 40, height: height * 7 / 8))
        guard let image = context.makeImage() else { throw FixtureError("no image") }

        let url = dir.appendingPathComponent(name)
        guard let destination = CGImageDestinationCreateWithURL(url as CFURL, "public.jpeg" as CFString, 1, nil) else {
            throw FixtureError("no JPEG writer")
        }
        let options = [kCGImageDestinationLossyCompressionQuality as String: 0.85] as CFDictionary
        CGImageDestinationAddImage(destination, image, options)
        guard CGImageDestinationFinalize(destination) else { throw FixtureError("could not write \(url.path)") }
        return url
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
