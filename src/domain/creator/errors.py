from domain.shared.errors import Conflict, NotFound, RuleViolation


class InvalidCategoryName(RuleViolation):
    code = "invalid_category_name"


class InvalidCategorySlug(RuleViolation):
    code = "invalid_category_slug"


class CategoryAlreadyExists(Conflict):
    code = "category_exists"


class CategoryNotFound(NotFound):
    code = "category_not_found"
