import Combine
import Foundation
import MobileCore

public struct ExpenseDraft: Hashable, Sendable {
    public var date: String
    /// Decimal text as typed, e.g. `1280.50`; the core refuses `12,34`, `1e5` or too many decimals.
    public var amount = ""
    public var category = ""
    public var vendor = ""
    public var costCode = ""
    public var note = ""

    public init(date: String, amount: String = "", category: String = "", vendor: String = "",
                costCode: String = "", note: String = "") {
        self.date = date
        self.amount = amount
        self.category = category
        self.vendor = vendor
        self.costCode = costCode
        self.note = note
    }
}

public struct ExpenseState: Equatable, Sendable {
    public var draft: ExpenseDraft
    public var categories: [String] = []
    /// The project's cost codes once synced (empty before the first sync: the foreman types the code).
    public var costCodes: [CostCode] = []
    /// Receipts picked but not attached yet.
    public var receipts: [PickedPhoto] = []
    /// The expense as saved on the phone, with its attached receipts.
    public var saved: Expense?
    public var fieldErrors: [String: String] = [:]
    public var error: UiError?
    public var busy = false
}

/// An expense with its receipts. Saving twice updates the same expense (never a duplicate); a receipt that is not a
/// usable image is reported and stays in the list to remove, while the expense and the good receipts are kept.
@MainActor
public final class ExpenseViewModel: ObservableObject {
    @Published public private(set) var state: ExpenseState

    private let repo: FieldRepository
    private let site: SiteContext

    public init(repo: FieldRepository, site: SiteContext, now: () -> Date = { Date() }) {
        self.repo = repo
        self.site = site
        state = ExpenseState(draft: ExpenseDraft(date: site.today(at: now())))
    }

    /// The form, for SwiftUI bindings (`$model.draft.amount`).
    public var draft: ExpenseDraft {
        get { state.draft }
        set { state.draft = newValue }
    }

    @discardableResult
    public func load() async -> Bool {
        await work {
            let categories = try await self.repo.categories(projectId: self.site.projectId)
            let codes = try await self.repo.reference(self.site.projectId)?.costCodes ?? []
            self.state.categories = categories
            self.state.costCodes = codes
            if self.state.draft.category.isEmpty {
                self.state.draft.category = categories.first ?? ""
            }
        }
    }

    public func change(_ edit: (inout ExpenseDraft) -> Void) {
        edit(&state.draft)
    }

    public func addReceipt(_ photo: PickedPhoto) {
        state.receipts.append(photo)
    }

    public func removeReceipt(path: String) {
        state.receipts.removeAll { $0.path == path }
        state.error = nil
    }

    /// Saves the expense, then attaches the waiting receipts one by one.
    @discardableResult
    public func save() async -> Bool {
        let d = state.draft
        let input = ExpenseInput(
            date: d.date, amount: d.amount.trimmed, currency: nil, category: d.category,
            vendor: d.vendor.nonBlank, costCode: d.costCode, note: d.note.nonBlank
        )
        return await work {
            let expense: Expense
            if let saved = self.state.saved {
                expense = try await self.repo.updateExpense(id: saved.info.id, input)
            } else {
                expense = try await self.repo.createExpense(self.site, input)
            }
            self.state.saved = expense
            self.state.fieldErrors = [:]
            for receipt in self.state.receipts {
                try await self.repo.attachPhoto(recordId: expense.info.id, path: receipt.path, context: receipt.context)
                let updated = try await self.repo.expense(expense.info.id)
                self.state.receipts.removeOne(receipt)
                self.state.saved = updated
            }
        }
    }

    /// Ready for the next expense (same date and category).
    public func startNext() {
        state = ExpenseState(
            draft: ExpenseDraft(date: state.draft.date, category: state.draft.category),
            categories: state.categories,
            costCodes: state.costCodes
        )
    }

    private func work(_ body: @MainActor () async throws -> Void) async -> Bool {
        await runWork({ busy, error, fields in
            self.state.busy = busy
            self.state.error = error
            if let fields { self.state.fieldErrors = fields }
        }, body)
    }
}
