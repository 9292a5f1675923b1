import Combine
import Foundation
import MobileCore

public enum MeasureKind: String, CaseIterable, Hashable, Sendable {
    case percent
    case quantity
}

public struct ProgressDraft: Hashable, Sendable {
    public var date: String
    public var activity = ""
    public var measure: MeasureKind = .percent
    /// Cumulative percent (`0`–`100`) or the quantity installed today, as typed.
    public var value = ""
    /// Unit of a quantity; filled from the activity when the reference data has one.
    public var unit = ""
    public var caption = ""

    public init(date: String, activity: String = "", measure: MeasureKind = .percent, value: String = "",
                unit: String = "", caption: String = "") {
        self.date = date
        self.activity = activity
        self.measure = measure
        self.value = value
        self.unit = unit
        self.caption = caption
    }
}

public struct ProgressPhotoState: Equatable, Sendable {
    public var draft: ProgressDraft
    public var activities: [Activity] = []
    public var photos: [PickedPhoto] = []
    /// Photos attached so far in the running save, of how many.
    public var attached = 0
    public var toAttach = 0
    public var saved: ProgressReport?
    public var fieldErrors: [String: String] = [:]
    public var error: UiError?
    public var busy = false
}

/// A progress report: an activity of the schedule, percent complete or quantity installed, and photos with their
/// capture time and place. Photos are ingested on the phone (hash, thumbnail, preview) and wait there for upload.
@MainActor
public final class ProgressPhotoViewModel: ObservableObject {
    @Published public private(set) var state: ProgressPhotoState

    private let repo: FieldRepository
    private let site: SiteContext

    public init(repo: FieldRepository, site: SiteContext, now: () -> Date = { Date() }) {
        self.repo = repo
        self.site = site
        state = ProgressPhotoState(draft: ProgressDraft(date: site.today(at: now())))
    }

    /// The form, for SwiftUI bindings (`$model.draft.value`).
    public var draft: ProgressDraft {
        get { state.draft }
        set { state.draft = newValue }
    }

    @discardableResult
    public func load() async -> Bool {
        await work {
            self.state.activities = try await self.repo.reference(self.site.projectId)?.activities ?? []
        }
    }

    /// Chooses the activity; a quantity's unit comes from it.
    public func choose(_ activity: Activity) {
        state.draft.activity = activity.id
        if let unit = activity.unit { state.draft.unit = unit }
    }

    public func change(_ edit: (inout ProgressDraft) -> Void) {
        edit(&state.draft)
    }

    public func addPhoto(_ photo: PickedPhoto) {
        state.photos.append(photo)
    }

    public func removePhoto(path: String) {
        state.photos.removeAll { $0.path == path }
        state.error = nil
    }

    /// Saves the report (or updates it on a second save), then attaches the photos one by one.
    @discardableResult
    public func save() async -> Bool {
        let d = state.draft
        let measure: ProgressMeasure
        switch d.measure {
        case .percent: measure = .percent(percent: d.value.trimmed)
        case .quantity: measure = .quantity(installed: d.value.trimmed, unit: d.unit.trimmed)
        }
        let input = ProgressInput(date: d.date, activity: d.activity, measure: measure, caption: d.caption.nonBlank)
        return await work {
            let report: ProgressReport
            if let saved = self.state.saved {
                report = try await self.repo.updateProgress(id: saved.info.id, input)
            } else {
                report = try await self.repo.createProgress(self.site, input)
            }
            let photos = self.state.photos
            self.state.saved = report
            self.state.fieldErrors = [:]
            self.state.attached = 0
            self.state.toAttach = photos.count
            for photo in photos {
                try await self.repo.attachPhoto(recordId: report.info.id, path: photo.path, context: photo.context)
                let updated = try await self.repo.progress(report.info.id)
                self.state.photos.removeOne(photo)
                self.state.attached += 1
                self.state.saved = updated
            }
        }
    }

    private func work(_ body: @MainActor () async throws -> Void) async -> Bool {
        await runWork({ busy, error, fields in
            self.state.busy = busy
            self.state.error = error
            if let fields { self.state.fieldErrors = fields }
        }, body)
    }
}
