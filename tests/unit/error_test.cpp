// toro::Result: a value or the error that prevented it.
#include <gtest/gtest.h>

#include "toro/error.h"

namespace {

using toro::Error;
using toro::Result;

TEST(Result, HoldsAValueOrAnError) {
    Result<int> value = 7;
    ASSERT_TRUE(value.ok());
    EXPECT_EQ(*value, 7);
    Result<int> error = Error::kNoEntry;
    EXPECT_FALSE(error.ok());
    EXPECT_EQ(error.error(), Error::kNoEntry);
}

// A Result made of kOk would report success with a value nobody set.
TEST(Result, MadeOfErrorOkIsAnErrorNotAnUnsetValue) {
    Result<int> result = Error::kOk;
    EXPECT_FALSE(result.ok());
    EXPECT_EQ(result.error(), Error::kInvalid);
}

}  // namespace
